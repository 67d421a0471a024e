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
import, on libcst's codemod runner (its file gathering, diffs and process
pool). A line the rewrite leaves longer than 79 columns is a warning on
stderr, ``path:line``, and the summary counts them. Exit status: 0 done
(or, with ``--check``, nothing to change), 1 with ``--check`` when
something would change, or when a file could not be rewritten, 2 on bad
input (a path that does not exist or holds no Python file, a file that
does not parse, a bad ``--constants``).
"""

import argparse
import os
import sys

from nova_migration_sm.operators.cannotcheck import CannotCheck

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
    """libcst's ``gather_files``, less what hides under a dot directory."""
    from libcst import codemod

    for path in paths:
        if not os.path.exists(path):
            raise CannotCheck('no such file or directory: %s' % path)
    return [path for path in codemod.gather_files(paths)
            if not any(part.startswith('.') and part not in ('.', '..')
                       for part in os.path.dirname(path).split(os.sep))]


def _literals(files: list[str]) -> dict[str, list]:
    """The findings of each file that has some (the files to rewrite)."""
    from nova_migration_sm.hacking import rewrite

    found = {}
    for path in files:
        try:
            with open(path, encoding='utf-8', newline='') as stream:
                findings = rewrite.literals(stream.read())
        except (rewrite.BadInput, UnicodeDecodeError) as error:
            raise CannotCheck('%s: %s' % (path, error)) from None
        if findings:
            found[path] = findings
    return found


def run(args: argparse.Namespace) -> int:
    from libcst import codemod

    from nova_migration_sm.hacking import rewrite

    try:
        constants = rewrite.Constants.parse(args.constants)
    except rewrite.BadInput as error:
        raise CannotCheck(str(error)) from None
    if args.jobs < 1:
        raise CannotCheck('--jobs wants a positive number')
    files = _python_files(args.paths)
    if not files:
        raise CannotCheck('no Python file in %s; nothing checked'
                          % ', '.join(args.paths))
    found = _literals(files)
    literals = sum(len(findings) for findings in found.values())
    if args.check:
        for path, findings in found.items():
            for finding in findings:
                print('%s:%d:%d: %s' % (path, finding.line, finding.col + 1,
                                        finding.message(constants.name)))
        print('would rewrite %d literal(s) in %d of %d file(s)' % (
            literals, len(found), len(files)))
        return 1 if found else 0
    result = codemod.ParallelTransformResult(0, 0, 0, 0)
    if found:
        result = codemod.parallel_exec_transform_with_prettyprint(
            rewrite.RewriteLiterals, sorted(found), jobs=args.jobs,
            unified_diff=3 if args.diff else None, include_generated=True,
            hide_progress=True, repo_root=os.getcwd(),
            codemod_args={'constants': constants})
    if not args.diff:
        for path, findings in found.items():
            print('%s: %d literal(s)' % (path, len(findings)))
    print('%s %d literal(s) in %d of %d file(s); %d line(s) left longer '
          'than %d columns%s' % (
              'would rewrite' if args.diff else 'rewrote', literals,
              result.successes, len(files), result.warnings,
              rewrite.MAX_LINE, '; %d file(s) FAILED' % result.failures
              if result.failures else ''),
          file=sys.stderr if args.diff else sys.stdout)
    return 1 if result.failures else 0
