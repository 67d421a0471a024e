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

"""Show the machine of a migration type (or all) as a table or diagram.

Formats: ``table`` (allowed next statuses, initial/terminal/error marked),
``dot`` (Graphviz, from the automaton machine), ``svg``/``png`` (drawn by
Graphviz ``dot``), ``json`` (for tools) and ``mermaid`` (for READMEs).
"""

import argparse
import os
import sys

from nova_migration_sm import diagrams
from nova_migration_sm import exceptions
from nova_migration_sm.statuses import MigrationType

_EXTENSIONS = {'table': 'txt', 'mermaid': 'mmd'}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        'migration_type', nargs='?', metavar='TYPE',
        choices=MigrationType.ALL,
        help='One of %s; every machine when left out.'
             % ', '.join(MigrationType.ALL))
    parser.add_argument(
        '--cross-cell', action='store_true',
        help='The cross-cell variant (cold migration and resize only).')
    parser.add_argument(
        '--format', choices=diagrams.FORMATS, default='table',
        help='Output format (default: table). svg and png need Graphviz.')
    parser.add_argument(
        '--output-dir', metavar='DIR',
        help='Write one file per machine (NAME.EXT) into DIR instead '
             'of printing.')


def _write_files(selected, output_format: str, directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    for machine in selected:
        path = os.path.join(directory, '%s.%s' % (
            machine.name, _EXTENSIONS.get(output_format, output_format)))
        with open(path, 'wb') as out:
            out.write(diagrams.render((machine,), output_format))
        print(path)


def run(args: argparse.Namespace) -> int:
    try:
        selected = diagrams.select(args.migration_type, args.cross_cell)
        if args.output_dir:
            _write_files(selected, args.format, args.output_dir)
            return 0
        output = diagrams.render(selected, args.format)
    except (exceptions.UnknownMigrationType, ValueError) as error:
        print('nova-migration-sm show: %s' % error, file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        print('nova-migration-sm show: Graphviz is needed for %s (Debian: '
              'apt-get install graphviz): %s' % (args.format, error),
              file=sys.stderr)
        return 2
    sys.stdout.flush()
    sys.stdout.buffer.write(output)
    sys.stdout.buffer.flush()
    return 0
