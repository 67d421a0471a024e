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

"""Rewrite migration status literals into constants (libcst codemod).

Rewrites what the M301-M304 check reports, file by file, and adds the
import. Exit status: 0 done (or, with ``--check``, nothing to change),
1 with ``--check`` when something would change, 2 on bad input (a path
that does not exist or holds no Python file, a file that does not parse,
a bad ``--constants``).
"""

import argparse
import concurrent.futures
import difflib
import os
import sys

NAME = 'nova-migration-sm rewrite-literals'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('paths', metavar='PATH', nargs='+',
                        help='Python files, or directories to walk.')
    parser.add_argument('--check', action='store_true',
                        help='Change nothing; exit 1 if a file would '
                             'change.')
    parser.add_argument('--diff', action='store_true',
                        help='Print a unified diff instead of writing.')
    parser.add_argument('-j', '--jobs', type=int, default=1, metavar='N',
                        help='Files rewritten in parallel (default 1).')
    parser.add_argument('--constants', metavar='MODULE:NAME',
                        default='nova.objects.fields:MigrationStatus',
                        help='Where the status constants live (default: '
                             "Nova's own %(default)s).")


def _python_files(paths: list[str]) -> list[str]:
    files = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
                files.extend(os.path.join(root, n) for n in sorted(names)
                             if n.endswith('.py'))
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise FileNotFoundError(path)
    return files


def _write(path: str, text: str) -> None:
    """Replace a file's text in one rename; its mode is kept."""
    temporary = path + '.rewrite-literals.tmp'
    with open(temporary, 'w', encoding='utf-8', newline='') as stream:
        stream.write(text)
    os.chmod(temporary, os.stat(path).st_mode)
    os.replace(temporary, path)


def _rewrite_file(job):
    """(path, source, Result or the error's one line)."""
    from nova_migration_sm import rewrite
    path, constants = job
    try:
        with open(path, encoding='utf-8', newline='') as stream:
            source = stream.read()
        return path, source, rewrite.rewrite_source(
            source, constants, rewrite.module_name_of(path))
    except (rewrite.BadInput, UnicodeDecodeError) as error:
        return path, None, str(error)


def run(args: argparse.Namespace) -> int:
    try:
        from nova_migration_sm import rewrite
    except ImportError as error:
        print('%s: needs libcst (pip install "nova_migration_sm[rewrite]"):'
              ' %s' % (NAME, error), file=sys.stderr)
        return 2
    try:
        constants = rewrite.Constants.parse(args.constants)
        files = _python_files(args.paths)
    except rewrite.BadInput as error:
        print('%s: %s' % (NAME, error), file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        print('%s: no such file or directory: %s' % (NAME, error),
              file=sys.stderr)
        return 2
    if not files:
        print('%s: no Python file in %s; nothing checked' % (
            NAME, ', '.join(args.paths)), file=sys.stderr)
        return 2
    if args.jobs < 1:
        print('%s: --jobs wants a positive number' % NAME, file=sys.stderr)
        return 2
    changed = literals = 0
    jobs = [(path, constants) for path in files]
    if args.jobs == 1:
        results = map(_rewrite_file, jobs)
    else:
        pool = concurrent.futures.ProcessPoolExecutor(args.jobs)
        results = pool.map(_rewrite_file, jobs, chunksize=8)
    for path, source, result in results:
        if isinstance(result, str):
            print('%s: %s: %s' % (NAME, path, result), file=sys.stderr)
            return 2
        if not result.changed:
            continue
        changed += 1
        literals += len(result.findings)
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(
                source.splitlines(keepends=True),
                result.source.splitlines(keepends=True),
                'a/' + path.lstrip('./'), 'b/' + path.lstrip('./')))
        elif args.check:
            for finding in result.findings:
                print('%s:%d:%d: %s' % (path, finding.line, finding.col + 1,
                                        finding.message(constants.name)))
        else:
            _write(path, result.source)
            print('%s: %d literal(s)%s' % (
                path, len(result.findings),
                ', added "%s"' % result.import_added
                if result.import_added else ''))
    verb = 'rewrote' if not (args.check or args.diff) else 'would rewrite'
    print('%s %d literal(s) in %d of %d file(s)' % (
        verb, literals, changed, len(files)),
        file=sys.stderr if args.diff else sys.stdout)
    return 1 if args.check and changed else 0
