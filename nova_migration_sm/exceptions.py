#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""The library's exceptions: one base class, messages built from kwargs.

In the style of Nova's ``NovaException``: each class has a ``msg_fmt``
filled from keyword arguments that are kept in ``self.kwargs``, so
oslo.messaging can rebuild the same exception on the far side of an RPC
call (``allowed_remote_exmods``).
"""

from collections.abc import Iterable


def quoted(statuses: Iterable[str | None]) -> str:
    """Render statuses for a message: ``'a', 'b'`` or ``none``."""
    text = ', '.join(repr(s) for s in statuses)
    return text or 'none'


class _Short:
    """``%r`` of a value, cut short: a refused megabyte is not echoed."""

    LIMIT = 80

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        text = repr(self.value)
        if len(text) <= self.LIMIT:
            return text
        return '%s...(%d characters)' % (text[:self.LIMIT], len(text))


def _shown(kwargs: dict) -> dict:
    """``kwargs`` for a message: statuses cut short, the variant named."""
    shown = dict(kwargs, variant=_variant(kwargs))
    for name in ('from_status', 'to_status', 'expected', 'actual'):
        if name in shown:
            shown[name] = _Short(shown[name])
    return shown


class _FormattedError(Exception):
    """``msg_fmt`` filled from keyword arguments kept in ``self.kwargs``."""

    msg_fmt = 'An unknown error occurred.'

    def __init__(self, message: str | None = None, **kwargs: object) -> None:
        self.kwargs = kwargs
        if not message:
            message = self.msg_fmt % kwargs
        super().__init__(message)


class MigrationStateMachineError(_FormattedError):
    """Base class of every refusal of the state machine."""

    msg_fmt = 'An unknown migration state machine error occurred.'


class UnknownMigrationType(MigrationStateMachineError, ValueError):
    """A migration type no machine is defined for."""

    msg_fmt = ('Unknown migration type %(migration_type)r; '
               'known types: %(allowed)s.')


def _variant(kwargs: dict) -> str:
    return ', cross-cell' if kwargs.get('cross_cell_move') else ''


class InvalidMigrationStatusTransition(MigrationStateMachineError,
                                       ValueError):
    """A status move (or initial status) the type's machine refuses.

    kwargs: ``migration`` (uuid or id), ``migration_type``,
    ``cross_cell_move``, ``from_status`` (None on create), ``to_status``
    and ``allowed`` (the allowed next, or initial, statuses); ``unheld``
    when the row holds a status its type cannot hold (a legacy row).
    """

    msg_fmt = ('Migration %(migration)s (type %(migration_type)s%(variant)s) '
               'may not move from status %(from_status)r to %(to_status)r; '
               'allowed next statuses: %(allowed_text)s.')
    create_fmt = ('Migration %(migration)s (type %(migration_type)s'
                  '%(variant)s) may not be created with status '
                  '%(to_status)r; allowed initial statuses: '
                  '%(allowed_text)s.')

    unheld_fmt = ('Migration %(migration)s (type %(migration_type)s'
                  '%(variant)s) holds status %(from_status)r, which its type '
                  'cannot hold, and may not move to %(to_status)r; allowed: '
                  '%(allowed_text)s (the type\'s error statuses).')

    def __init__(self, message: str | None = None, **kwargs: object) -> None:
        if not message:
            if kwargs.get('unheld'):
                fmt = self.unheld_fmt
            elif kwargs['from_status'] is None:
                fmt = self.create_fmt
            else:
                fmt = self.msg_fmt
            message = fmt % dict(
                _shown(kwargs), allowed_text=quoted(kwargs['allowed']))
        super().__init__(message, **kwargs)


class MigrationStatusConflict(MigrationStateMachineError):
    """The row changed under a writer whose view is now stale.

    kwargs: ``migration``, ``migration_type``, ``cross_cell_move``,
    ``expected`` (what the writer saw), ``actual`` (what the row holds),
    ``to_status`` and ``allowed`` (the statuses from which a stale writer
    may still make this move: its declared races). Nothing was written.
    """

    msg_fmt = ('Migration %(migration)s (type %(migration_type)s%(variant)s) '
               'was last seen in status %(expected)r but the database holds '
               '%(actual)r; the move to %(to_status)r was not written. A '
               'stale writer may only move to %(to_status)r from: '
               '%(allowed_text)s.')

    def __init__(self, message: str | None = None, **kwargs: object) -> None:
        if not message:
            message = self.msg_fmt % dict(
                _shown(kwargs), allowed_text=quoted(kwargs.get('allowed', ())))
        super().__init__(message, **kwargs)


class MigrationCopyError(MigrationStateMachineError, ValueError):
    """A copy of an existing row was requested where it cannot be made."""

    msg_fmt = ('Migration %(migration)s (type %(migration_type)s) cannot be '
               'created as a copy: %(reason)s')


class MigrationNotFound(_FormattedError, LookupError):
    """No migration row with that id or uuid (the reference DB API).

    Not a refusal of the state machine: the row is gone.
    """

    msg_fmt = 'Migration %(migration)s could not be found.'
