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
refused move prints the statuses that are allowed instead.
"""

import argparse
import sys

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
    from_status = None if args.from_status == CREATE else args.from_status
    move = '%s %r -> %r%s' % (
        args.migration_type, from_status or '(create)', args.to_status,
        ' (cross-cell)' if args.cross_cell else '')
    try:
        allowed = machines.is_allowed(args.migration_type, from_status,
                                      args.to_status, args.cross_cell)
        nexts = machines.next_statuses(args.migration_type, from_status,
                                       args.cross_cell)
    except exceptions.UnknownMigrationType as error:
        print('nova-migration-sm check: %s' % error, file=sys.stderr)
        return 2
    if not allowed:
        known = machines.statuses(args.migration_type, args.cross_cell)
        if from_status is not None and from_status not in known:
            print('refused: %s; %r is not a status of this type, whose '
                  'statuses are: %s' % (move, from_status,
                                        exceptions.quoted(known)))
            return 1
        what = 'initial' if from_status is None else 'next'
        print('refused: %s; allowed %s statuses: %s' % (
            move, what, exceptions.quoted(nexts)))
        return 1
    if from_status == args.to_status:
        print('allowed: %s (same value, a no-op)' % move)
        return 0
    print('allowed: %s, written in Nova by nova/%s' % (
        move, machines.where(args.migration_type, from_status,
                             args.to_status, args.cross_cell)))
    return 0
