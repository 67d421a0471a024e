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

"""Checked arguments of the sub-commands: numbers, durations, names.

argparse type functions raise ``ArgumentTypeError`` with a message meant
for the operator; a migration type or status that is not one says so and
suggests the closest (difflib).
"""

import argparse
import datetime
import difflib

from nova_migration_sm import machines
from nova_migration_sm.operators import audit
from nova_migration_sm.operators.cannotcheck import CannotCheck
from nova_migration_sm.statuses import MigrationStatus
from nova_migration_sm.statuses import MigrationType


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            '%r is not a whole number' % text) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            'must be at least 1, not %d' % value)
    return value


def duration(text: str) -> datetime.timedelta:
    """``90s``, ``30m``, ``12h``, ``7d``, ``2w``..."""
    try:
        return audit.parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class ConfigArgument(argparse.Action):
    """``--config-file``/``--config-dir``, kept in command-line order.

    oslo.config reads them in that order (later values win), so they are
    handed to it as given: ``namespace.config_args``.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        found = list(getattr(namespace, self.dest, None) or [])
        namespace.__dict__[self.dest] = found + [option_string, values]


def _suggestion(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    if not close:
        return ''
    return '; did you mean %s?' % ' or '.join(repr(c) for c in close)


def migration_type(text: str) -> str:
    """``text`` if it is a migration type, else CannotCheck."""
    if text in MigrationType.ALL:
        return text
    raise CannotCheck('%r is not a migration type%s' % (
        text, _suggestion(text, MigrationType.ALL) or
        '; the types are: %s' % ', '.join(MigrationType.ALL)))


def cross_cell(migration_type_: str, cross_cell_move: bool) -> bool:
    """``cross_cell_move``, if the type has a cross-cell machine."""
    if cross_cell_move and (migration_type_, True) not in \
            machines.machine_keys():
        raise CannotCheck('%s has no cross-cell variant; only %s move '
                          'across cells' % (migration_type_, ' and '.join(
                              t for t, cc in machines.machine_keys() if cc)))
    return cross_cell_move


def status(text: str, migration_type_: str, cross_cell_move: bool) -> str:
    """``text`` if it is a status of the type, else CannotCheck."""
    known = machines.statuses(migration_type_, cross_cell_move)
    if text in known:
        return text
    variant = ' (cross-cell)' if cross_cell_move else ''
    if text in MigrationStatus.ALL:
        others = [t for t in MigrationType.ALL
                  if text in machines.statuses(t)]
        hint = (' (a status of %s)' % ', '.join(others)) if others else ''
        raise CannotCheck('%r is not a status of %s%s%s; its statuses are: '
                          '%s' % (text, migration_type_, variant, hint,
                                  ', '.join(repr(s) for s in known)))
    raise CannotCheck('%r is not a status of %s%s%s' % (
        text, migration_type_, variant, _suggestion(text, known) or
        '; its statuses are: %s' % ', '.join(repr(s) for s in known)))
