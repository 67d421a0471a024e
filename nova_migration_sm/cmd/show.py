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
import tempfile

from nova_migration_sm.cmd import args as checked
from nova_migration_sm import diagrams
from nova_migration_sm.operators.cannotcheck import CannotCheck
from nova_migration_sm.statuses import MigrationType

_EXTENSIONS = {'table': 'txt', 'mermaid': 'mmd'}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        'migration_type', nargs='?', metavar='TYPE',
        help='One of %s; every machine when left out.'
             % ', '.join(MigrationType.ALL))
    parser.add_argument(
        '--cross-cell', action='store_true',
        help='The cross-cell variant (cold migration and resize only).')
    parser.add_argument(
        '--format', choices=diagrams.FORMATS, default='table',
        help='Output format (default: table). dot, svg and png need pydot '
             '(the diagrams extra); svg and png also need Graphviz.')
    parser.add_argument(
        '--output-dir', metavar='DIR',
        help='Write one file per machine (NAME.EXT) into DIR instead '
             'of printing.')


def _render(selected, output_format: str) -> bytes:
    try:
        return diagrams.render(selected, output_format)
    except FileNotFoundError:
        raise CannotCheck('%s needs Graphviz dot, which is not installed '
                          '(Debian: apt-get install graphviz)'
                          % output_format) from None


def _write(path: str, data: bytes) -> None:
    """Write a whole file or none: a temporary file renamed into place."""
    directory = os.path.dirname(path)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix='.tmp-')
    try:
        with os.fdopen(fd, 'wb') as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _write_files(selected, output_format: str, directory: str) -> None:
    # NOTE: every file is rendered before the first is written, so a
    # failure (a missing Graphviz, say) leaves no file behind.
    rendered = [(machine, _render((machine,), output_format))
                for machine in selected]
    try:
        os.makedirs(directory, exist_ok=True)
        for machine, data in rendered:
            path = os.path.join(directory, '%s.%s' % (
                machine.name, _EXTENSIONS.get(output_format, output_format)))
            _write(path, data)
            print(path)
    except OSError as error:
        raise CannotCheck('cannot write into %s: %s' % (
            directory, error.strerror or error)) from None


def run(args: argparse.Namespace) -> int:
    migration_type = None
    cross_cell = args.cross_cell
    if args.migration_type is not None:
        migration_type = checked.migration_type(args.migration_type)
        cross_cell = checked.cross_cell(migration_type, cross_cell)
    elif cross_cell:
        raise CannotCheck('--cross-cell needs a migration type (every '
                          'machine, cross-cell ones included, is shown '
                          'without one)')
    selected = diagrams.select(migration_type, cross_cell)
    if args.output_dir:
        _write_files(selected, args.format, args.output_dir)
        return 0
    if args.format in ('svg', 'png') and len(selected) != 1:
        raise CannotCheck('%s shows one machine: give a migration type or '
                          '--output-dir' % args.format)
    output = _render(selected, args.format)
    sys.stdout.flush()
    sys.stdout.buffer.write(output)
    sys.stdout.buffer.flush()
    return 0
