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


class MigrationStateMachineError(Exception):
    """Base class of every error this library raises."""

    msg_fmt = 'An unknown migration state machine error occurred.'

    def __init__(self, message: str | None = None, **kwargs: object) -> None:
        self.kwargs = kwargs
        if not message:
            message = self.msg_fmt % kwargs
        super().__init__(message)


class UnknownMigrationType(MigrationStateMachineError, ValueError):
    """A migration type no machine is defined for."""

    msg_fmt = ('Unknown migration type %(migration_type)r; '
               'known types: %(allowed)s.')


class InvalidMigrationStatusTransition(MigrationStateMachineError,
                                       ValueError):
    """A status move (or initial status) the type's machine refuses.

    kwargs: ``migration`` (uuid or id), ``migration_type``,
    ``cross_cell_move``, ``from_status`` (None on create), ``to_status``
    and ``allowed`` (the allowed next, or initial, statuses).
    """

    msg_fmt = ('Migration %(migration)s (type %(migration_type)s%(variant)s) '
               'may not move from status %(from_status)r to %(to_status)r; '
               'allowed next statuses: %(allowed_text)s.')
    create_fmt = ('Migration %(migration)s (type %(migration_type)s'
                  '%(variant)s) may not be created with status '
                  '%(to_status)r; allowed initial statuses: '
                  '%(allowed_text)s.')

    def __init__(self, message: str | None = None, **kwargs: object) -> None:
        if not message:
            fmt = self.create_fmt if kwargs['from_status'] is None \
                else self.msg_fmt
            message = fmt % dict(
                kwargs, allowed_text=quoted(kwargs['allowed']),
                variant=', cross-cell' if kwargs.get('cross_cell_move')
                else '')
        super().__init__(message, **kwargs)


class MigrationStatusConflict(MigrationStateMachineError):
    """The row changed under a writer: it no longer holds what was expected.

    kwargs: ``migration``, ``migration_type``, ``expected``, ``actual`` and
    ``to_status``. Nothing was written.
    """

    msg_fmt = ('Migration %(migration)s (type %(migration_type)s): expected '
               'status %(expected)r in the database but found %(actual)r; '
               'the move to %(to_status)r was not written.')


class MigrationCopyError(MigrationStateMachineError, ValueError):
    """A copy of an existing row was requested where it cannot be made."""

    msg_fmt = ('Migration %(migration)s (type %(migration_type)s) cannot be '
               'created as a copy: %(reason)s')


class MigrationNotFound(MigrationStateMachineError):
    """No migration row with that id or uuid."""

    msg_fmt = 'Migration %(migration)s could not be found.'
