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

"""Check one status move as a save() of Nova's would be judged.

Exit 0 when the move is allowed (a lifecycle edge, a declared race, a
no-op or a creation), 1 when it is refused or is a conflict, 2 when a
type or status is not one of the type. ``FROM`` is what the writer saw
(``-``: it creates the record; ``?``: it never saw the status, as an old
1.8 sender); ``--persisted`` what the row holds when that differs.
"""

import argparse

from nova_migration_sm.cmd import args as checked
from nova_migration_sm import definitions
from nova_migration_sm import exceptions
from nova_migration_sm import machines
from nova_migration_sm.operators.cannotcheck import CannotCheck
from nova_migration_sm.statuses import MigrationType

CREATE_ARG = '-'
"""``FROM`` that stands for creating the record."""
NEVER_SEEN = machines.UNKNOWN
"""``FROM`` of a writer that never saw the status (``?``)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('migration_type', metavar='TYPE',
                        help='One of %s.' % ', '.join(MigrationType.ALL))
    parser.add_argument(
        'from_status', metavar='FROM',
        help='The status the writer saw ("-": it creates the record; '
             '"%s": it never saw the status).' % NEVER_SEEN)
    parser.add_argument('to_status', metavar='TO',
                        help='The status it writes.')
    parser.add_argument(
        '--persisted', metavar='STATUS',
        help='The status the row holds, when it is not FROM (the '
             "writer's view is stale); default: FROM.")
    parser.add_argument('--cross-cell', action='store_true',
                        help='The cross-cell variant (cold migration and '
                             'resize only).')
    parser.add_argument(
        '--detect-stale-writes', action='store_true',
        help='Judge as with [migration_state_machine] detect_stale_writes '
             '= true: every stale write is a conflict.')


def _seen(args, migration_type: str, cross_cell: bool) -> str | None:
    if args.from_status == CREATE_ARG:
        return machines.CREATE
    if args.from_status == NEVER_SEEN:
        if args.persisted is None:
            raise CannotCheck('FROM %r (the writer never saw the status) '
                              'needs --persisted STATUS' % NEVER_SEEN)
        return machines.UNKNOWN
    return checked.status(args.from_status, migration_type, cross_cell)


def _move(migration_type, cross_cell, seen, persisted, to_status) -> str:
    shown = {machines.CREATE: '(create)', machines.UNKNOWN: '(never seen)'}
    text = '%s %s -> %r%s' % (
        migration_type, shown.get(seen, repr(seen)), to_status,
        ' (cross-cell)' if cross_cell else '')
    if persisted != seen:
        text += ' over persisted %r' % persisted
    return text


def run(args: argparse.Namespace) -> int:
    migration_type = checked.migration_type(args.migration_type)
    cross_cell = checked.cross_cell(migration_type, args.cross_cell)
    seen = _seen(args, migration_type, cross_cell)
    persisted = seen if args.persisted is None else checked.status(
        args.persisted, migration_type, cross_cell)
    if seen is machines.CREATE and persisted is not machines.CREATE:
        raise CannotCheck('a record being created holds no status yet: '
                          '--persisted goes with a FROM status')
    to_status = checked.status(args.to_status, migration_type, cross_cell)
    move = _move(migration_type, cross_cell, seen, persisted, to_status)
    try:
        kind = machines.judge(
            migration_type, cross_cell_move=cross_cell, seen=seen,
            persisted=persisted, to_status=to_status,
            detect_stale_writes=args.detect_stale_writes)
    except exceptions.InvalidMigrationStatusTransition as error:
        what = ('initial' if seen is machines.CREATE else
                'lifecycle and race' if seen == machines.UNKNOWN else 'next')
        print('refused: %s; allowed %s statuses: %s' % (
            move, what, exceptions.quoted(error.kwargs['allowed'])))
        return 1
    except exceptions.MigrationStatusConflict as error:
        reason = ('detect_stale_writes refuses every stale write'
                  if args.detect_stale_writes else
                  '%r -> %r is no declared race; a stale writer may only '
                  'move to %r from: %s' % (
                      persisted, to_status, to_status,
                      exceptions.quoted(error.kwargs['allowed'])))
        print('conflict: %s; %s' % (move, reason))
        return 1
    if kind == machines.Outcome.SAME_VALUE:
        print('allowed: %s: the same value, a no-op' % move)
    elif kind == machines.Outcome.RACE:
        race = machines.race(migration_type, persisted, to_status,
                             cross_cell)
        print('allowed: %s: a declared race (%s), written in Nova by '
              'nova/%s' % (move, definitions.race_name(race[3]), race[2]))
    else:
        where = machines.where(migration_type, seen if seen !=
                               machines.UNKNOWN else persisted, to_status,
                               cross_cell)
        print('allowed: %s: %s, written in Nova by nova/%s' % (
            move, 'an initial status' if kind == machines.Outcome.CREATE
            else 'a lifecycle edge', where))
    return 0
