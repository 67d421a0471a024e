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

"""Check one status move: exit 0 if the machine allows it, 1 if not.

``FROM`` is ``-`` to check the status a record may be created with. A
refused move prints the statuses that are allowed instead. A type or
status that is not one of the type exits 2, with the closest names.
"""

import argparse

from nova_migration_sm.cmd import args as checked
from nova_migration_sm import exceptions
from nova_migration_sm import machines
from nova_migration_sm.statuses import MigrationType

CREATE = '-'
"""``FROM`` that stands for creating the record."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('migration_type', metavar='TYPE',
                        help='One of %s.' % ', '.join(MigrationType.ALL))
    parser.add_argument('from_status', metavar='FROM',
                        help='The status the record holds ("-": create).')
    parser.add_argument('to_status', metavar='TO',
                        help='The status it is written with.')
    parser.add_argument('--cross-cell', action='store_true',
                        help='The cross-cell variant (cold migration and '
                             'resize only).')


def run(args: argparse.Namespace) -> int:
    migration_type = checked.migration_type(args.migration_type)
    cross_cell = checked.cross_cell(migration_type, args.cross_cell)
    from_status = None if args.from_status == CREATE else checked.status(
        args.from_status, migration_type, cross_cell)
    to_status = checked.status(args.to_status, migration_type, cross_cell)
    move = '%s %r -> %r%s' % (
        migration_type, from_status or '(create)', to_status,
        ' (cross-cell)' if cross_cell else '')
    if not machines.is_allowed(migration_type, from_status, to_status,
                               cross_cell):
        what = 'initial' if from_status is None else 'next'
        print('refused: %s; allowed %s statuses: %s' % (
            move, what, exceptions.quoted(machines.next_statuses(
                migration_type, from_status, cross_cell))))
        return 1
    if from_status == to_status:
        print('allowed: %s (same value, a no-op)' % move)
        return 0
    print('allowed: %s, written in Nova by nova/%s' % (
        move, machines.where(migration_type, from_status, to_status,
                             cross_cell)))
    return 0
