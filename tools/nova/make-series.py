#!/usr/bin/env python3
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

"""Generate the Nova patch series from a fresh Nova 34.0.0 sdist.

Usage: tools/nova/make-series.py --tarball nova-34.0.0.tar.gz --out DIR
       [--patch tools/nova/nova-34.0.0.patch] [--jobs N] [--flake8 PYTHON]
       [--author "Name <email>"]

DIR/nova-34.0.0 becomes a git repository of the sdist with seven commits,
bottom-up, each one correct on its own (messages in tools/nova/series/):

1. ``MigrationStatus`` in ``nova/objects/fields.py``, defined from
   nova_migration_sm's constants, and the requirement it needs;
2. the rewrite of nova/ (tests excluded) by ``nova-migration-sm
   rewrite-literals``;
3. the rewrite of nova/tests/;
4. the post-copy fix alone: the in-progress list of live migrations,
   shared and derived from the machines, its functional test and a
   ``fixes`` release note (``series_edits.post_copy``);
5. the machines and the checked save: the hunks of ``--patch`` (the
   cumulative integration patch) but the upgrade check's, and Nova's
   other status lists derived from the machines;
6. the ``nova-status`` upgrade check (its hunks of ``--patch``) and
   ``doc/source/reference/migration-states.rst``, drawn from the machines;
7. the hacking check N376, no migration status literal.

``--patch`` is split by path (``PIECES``); commits 4 to 7 are rebuilt
from the sdist: the files they touch are restored, every earlier piece
and edit applied again and their literals rewritten, so a hunk written
against Nova 34.0.0 lands in the rewritten tree with constants.

DIR/patches/ gets ``git format-patch`` of the seven, DIR/series.patch the
cumulative diff, and DIR/cumulative/NN.patch the cumulative diff up to
commit NN (what ``NOVA_PATCH`` of run-nova-tests.sh takes, to test each
commit on its own). Then it checks, and exits 1 if one check fails: 0
literals in nova/ and nova/tests/ after commit 3 and after commit 7 (a
second rewrite changes nothing), N376 silent on the whole final tree and
firing on a planted literal, and (with ``--flake8 PYTHON``, a Python with
Nova's pinned hacking) flake8 with Nova's own configuration, local checks
included, on every file each commit changes. Exit 2 on bad input.

Before anything is generated, every message must follow the series'
rules (``series_messages.py``: subject, 72 columns, the blueprint
footer, impact flags); exit 1 otherwise. The commits are authored,
committed and signed off (``Signed-off-by``) by ``--author`` (or
``NOVA_SERIES_AUTHOR``), else git's ``user.name`` and ``user.email``;
with neither, exit 2 with one line. No identity is ever made up.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile

import series_edits
import series_messages

HERE = os.path.dirname(os.path.abspath(__file__))
SERIES = os.path.join(HERE, 'series')
REPO = os.path.dirname(os.path.dirname(HERE))
# Fixed dates keep the series reproducible; the identity is the user's
# (identity_env()).
GIT_ENV = {
    'GIT_AUTHOR_DATE': '2026-01-01T00:00:00Z',
    'GIT_COMMITTER_DATE': '2026-01-01T00:00:00Z'}

IMPORT = 'from nova_migration_sm import statuses as migration_statuses\n'
IMPORT_AFTER = 'from cursive import signature_utils\n'
CLASS_AFTER = ('    ALL = (MIGRATION, RESIZE, LIVE_MIGRATION, EVACUATION)\n'
               '\n')
CONSTANTS = '''

class MigrationStatus(BaseNovaEnum, migration_statuses.MigrationStatus):
    """A migration's status: one constant per value, and ALL.

    The values, and what each means for each migration type, are
    nova_migration_sm's (nova_migration_sm.statuses); which moves between
    them are allowed is its machines' (nova_migration_sm.machines). Nova
    spells none of them.
    """
'''


#: The commit each file of --patch belongs to (5 when not named).
PIECES = {'requirements.txt': 1,
          'nova/cmd/status.py': 6,
          'nova/tests/unit/cmd/test_status.py': 6}
MACHINES = 5
FIELDS = 'nova/objects/fields.py'


class Failed(Exception):
    """A step of the generation failed (one line)."""


def run(argv: list[str], cwd: str, check: bool = True,
        **kwargs) -> subprocess.CompletedProcess:
    # No __pycache__ in the tree (flake8 imports nova/hacking/checks.py),
    # which `git add -A` would commit.
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1', **GIT_ENV)
    result = subprocess.run(argv, cwd=cwd, env=env, text=True,
                            capture_output=True, **kwargs)
    if check and result.returncode:
        raise Failed('%s failed (%d): %s' % (' '.join(argv[:3]),
                                             result.returncode,
                                             (result.stderr or
                                              result.stdout).strip()[-2000:]))
    return result


def identity_env(name: str, address: str) -> None:
    """Author and commit as NAME <ADDRESS> (every later git call)."""
    GIT_ENV.update({
        'GIT_AUTHOR_NAME': name, 'GIT_AUTHOR_EMAIL': address,
        'GIT_COMMITTER_NAME': name, 'GIT_COMMITTER_EMAIL': address})


def message(step: str) -> str:
    """The step's message, signed off by the committer."""
    with open(os.path.join(SERIES, step + '.txt')) as stream:
        text = stream.read()
    return '%s\nSigned-off-by: %s <%s>\n' % (
        text.rstrip('\n'), GIT_ENV['GIT_AUTHOR_NAME'],
        GIT_ENV['GIT_AUTHOR_EMAIL'])


def check_messages() -> None:
    """Every message of the series follows the rules, or Failed."""
    files = series_messages.paths()
    problems = []
    for index, path in enumerate(files):
        with open(path) as stream:
            text = stream.read()
        problems += ['%s: %s' % (os.path.basename(path), problem)
                     for problem in series_messages.check(
                         text, last=index == len(files) - 1) +
                     series_messages.check_note(path, text)]
    if problems:
        raise Failed('commit messages break the rules: %s'
                     % '; '.join(problems))


def commit(tree: str, step: str) -> list[str]:
    """Commit everything; the .py files the commit changed."""
    run(['git', 'add', '-A'], tree)
    run(['git', 'commit', '-q', '-F', '-'], tree, input=message(step))
    changed = run(['git', 'diff', '--name-only', '--diff-filter=AM',
                   'HEAD~1', 'HEAD'], tree).stdout.split()
    return [p for p in changed if p.endswith('.py')]


def add_constants(tree: str) -> None:
    path = os.path.join(tree, 'nova', 'objects', 'fields.py')
    with open(path) as stream:
        text = stream.read()
    if IMPORT_AFTER not in text or CLASS_AFTER not in text:
        raise Failed('nova/objects/fields.py is not Nova 34.0.0\'s')
    text = text.replace(IMPORT_AFTER, IMPORT_AFTER + IMPORT, 1)
    head, sep, tail = text.partition(
        'class MigrationType(BaseNovaEnum):\n')
    body, sep2, rest = tail.partition(CLASS_AFTER)
    text = head + sep + body + sep2.rstrip('\n') + '\n' + CONSTANTS + \
        '\n' + rest
    with open(path, 'w') as stream:
        stream.write(text)


def rewrite(tree: str, paths: list[str], jobs: int, *extra: str) -> int:
    argv = [sys.executable, '-m', 'nova_migration_sm.cmd.cli',
            'rewrite-literals', '--jobs', str(jobs), *extra, *paths]
    result = run(argv, tree, check=False)
    lines = result.stdout.strip().splitlines()
    summary = lines[-1] if lines else ''
    if result.returncode not in (0, 1) or 'literal(s) in' not in summary \
            or result.returncode == 1 and '--check' not in extra:
        raise Failed('rewrite-literals %s failed (%d): %s' % (
            ' '.join(paths[:3]), result.returncode,
            result.stderr.strip()[-3000:]))
    print('%s: %s' % (' '.join(paths) if len(paths) < 3 else 'nova/',
                      summary))
    return result.returncode


def flake8(tree: str, python: str, files: list[str], step: str) -> bool:
    if not files:
        return True
    result = run([python, '-m', 'flake8', *files], tree, check=False)
    ok = result.returncode == 0
    print('%s: flake8 (Nova\'s config) on %d changed files: %s' % (
        step, len(files), 'clean' if ok else 'FAILED'))
    if not ok:
        print(result.stdout[-5000:] or result.stderr[-2000:])
    return ok


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--tarball', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--patch',
                        default=os.path.join(HERE, 'nova-34.0.0.patch'))
    parser.add_argument('--jobs', type=int, default=2)
    parser.add_argument('--flake8', metavar='PYTHON',
                        help="a Python with Nova's flake8 and hacking")
    parser.add_argument('--author', metavar='"NAME <EMAIL>"',
                        default=os.environ.get('NOVA_SERIES_AUTHOR'),
                        help='author, committer and Signed-off-by of the '
                             'series (default: $NOVA_SERIES_AUTHOR, else '
                             'git config user.name and user.email)')
    args = parser.parse_args(argv)
    for path in (args.tarball, args.patch):
        if not os.path.isfile(path):
            print('make-series: no such file: %s' % path, file=sys.stderr)
            return 2
    try:
        identity_env(*series_messages.author(args.author, REPO))
    except series_messages.NoAuthor as error:
        print('make-series: %s' % error, file=sys.stderr)
        return 2
    out = os.path.abspath(args.out)
    if args.flake8:
        args.flake8 = os.path.abspath(args.flake8)
    tree = os.path.join(out, 'nova-34.0.0')
    try:
        check_messages()
        return generate(args, out, tree)
    except Failed as error:
        print('make-series: %s' % error, file=sys.stderr)
        return 1
    except (tarfile.TarError, OSError) as error:
        print('make-series: %s' % error, file=sys.stderr)
        return 2


def split_patch(path: str) -> dict[int, list[tuple[str, str]]]:
    """--patch's per-file diffs, by the commit they belong to."""
    with open(path) as stream:
        text = stream.read()
    pieces: dict[int, list[tuple[str, str]]] = {}
    for chunk in re.split(r'(?m)^(?=diff --git )', text):
        match = re.match(r'diff --git a/(\S+) b/', chunk)
        if not match:
            continue
        number = PIECES.get(match.group(1), MACHINES)
        pieces.setdefault(number, []).append((match.group(1), chunk))
    if not pieces:
        raise Failed('%s holds no diff' % path)
    return pieces


def apply(tree: str, chunks: list[tuple[str, str]]) -> None:
    if chunks:
        run(['git', 'apply', '-'], tree,
            input=''.join(chunk for _, chunk in chunks))


def add_renos(tree: str, number: int) -> None:
    """Copy series/NN-*.yaml of commits <= number as Nova's notes."""
    notes = os.path.join(tree, 'releasenotes', 'notes')
    for path in glob.glob(os.path.join(SERIES, '[0-9][0-9]-*.yaml')):
        name = os.path.basename(path)
        if int(name[:2]) <= number:
            shutil.copy(path, os.path.join(notes, name[3:]))


def own_files(number: int, pieces: dict) -> set[str]:
    """What commit NUMBER's pieces and edits (and commit 1's enum) touch."""
    files = {path for path, _ in pieces.get(number, [])}
    files.update(path for n, _, paths in series_edits.EDITS if n == number
                 for path in paths)
    if number == 1:
        files.add(FIELDS)
    return files


def redone(number: int, pieces: dict) -> list[int]:
    """NUMBER and every earlier commit sharing a file with those redone."""
    commits, files = {number}, own_files(number, pieces)
    grown = True
    while grown:
        grown = False
        for earlier in range(1, number):
            if earlier not in commits and own_files(earlier, pieces) & files:
                commits.add(earlier)
                files |= own_files(earlier, pieces)
                grown = True
    return sorted(commits)


def rebuild(tree: str, base: str, number: int, pieces: dict,
            jobs: int) -> None:
    """The tree of commit NUMBER (4 to 7) from the sdist, for its files.

    Every file commit NUMBER touches, and every file of an earlier commit
    that shares one with it (redone()), is restored to the sdist's; their
    pieces are applied, the literals rewritten, the edits made.
    """
    commits = redone(number, pieces)
    chunks = [chunk for n in commits for chunk in pieces.get(n, [])]
    files = set().union(*(own_files(n, pieces) for n in commits))
    known = set(run(['git', 'ls-tree', '-r', '--name-only', base, '--',
                     *sorted(files)], tree).stdout.split())
    for path in files - known:
        if os.path.exists(os.path.join(tree, path)):
            os.remove(os.path.join(tree, path))
    run(['git', 'checkout', base, '--', *sorted(known)], tree)
    if 1 in commits:
        add_constants(tree)
    apply(tree, chunks)
    python = sorted(p for p in files if p.endswith('.py') and
                    os.path.exists(os.path.join(tree, p)))
    if python:
        rewrite(tree, python, jobs)
    for n, edit, _ in series_edits.EDITS:
        if n in commits:
            try:
                edit(tree)
            except series_edits.NoMatch as error:
                raise Failed('%s: %s' % (edit.__name__, error))
    add_renos(tree, number)


N376_SCAN = """
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location('checks',
                                              'nova/hacking/checks.py')
checks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(checks)
hits = []
for root, _, names in os.walk('nova'):
    for name in sorted(names):
        if name.endswith('.py'):
            path = os.path.join(root, name)
            with open(path) as stream:
                for number, line in enumerate(stream, 1):
                    if checks.check_migration_status_literal(line, path):
                        hits.append('%s:%d: %s' % (path, number, line.strip()))
print('\\n'.join(hits[:20]))
print(len(hits))
"""


def check_hacking(tree: str, python: str) -> bool:
    """N376 is silent on the tree and fires on a planted literal."""
    lines = run([python, '-c', N376_SCAN], tree).stdout.splitlines()
    hits = int(lines[-1])
    print('after commit 7: N376 finds %d literal(s) in nova/' % hits)
    for line in lines[:-1]:
        print('  ' + line)
    planted = os.path.join(tree, 'nova', 'n376_planted.py')
    with open(planted, 'w') as stream:
        stream.write('migration.status = %r\n' % 'running (post-copy)')
    try:
        result = run([python, '-m', 'flake8', '--select', 'N376',
                      'nova/n376_planted.py'], tree, check=False)
    finally:
        os.remove(planted)
    fired = 'N376' in result.stdout
    print('N376 on a planted literal: %s' % ('fires' if fired else
                                             'SILENT (broken check)'))
    return hits == 0 and fired


def generate(args, out: str, tree: str) -> int:
    pieces = split_patch(os.path.abspath(args.patch))
    steps = [os.path.basename(p)[:-len('.txt')]
             for p in series_messages.paths()]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    with tarfile.open(args.tarball) as tar:
        tar.extractall(out, filter='data')
    if not os.path.isdir(os.path.join(tree, 'nova', 'tests')):
        raise Failed('%s is not a Nova sdist' % args.tarball)
    run(['git', 'init', '-q', '-b', 'master'], tree)
    run(['git', 'add', '-A'], tree)
    run(['git', 'commit', '-q', '-m', 'Nova 34.0.0 (sdist)'], tree)
    base = run(['git', 'rev-parse', 'HEAD'], tree).stdout.strip()
    ok = True

    def done(number: int) -> None:
        nonlocal ok
        files = commit(tree, steps[number - 1])
        ok &= not args.flake8 or flake8(tree, args.flake8, files,
                                        'commit %d' % number)

    add_constants(tree)
    apply(tree, pieces.get(1, []))
    done(1)

    top = sorted(os.path.join('nova', n) for n in os.listdir(
        os.path.join(tree, 'nova')) if n != 'tests')
    rewrite(tree, top, args.jobs)
    done(2)

    rewrite(tree, ['nova/tests'], args.jobs)
    done(3)
    left = rewrite(tree, ['nova'], args.jobs, '--check')
    print('after commit 3: a second rewrite %s' % (
        'would change files: NOT idempotent' if left else
        'changes nothing (0 literals left in nova/ and nova/tests/)'))
    ok &= left == 0
    third = run(['git', 'rev-parse', 'HEAD'], tree).stdout.strip()

    for number in range(4, len(steps) + 1):
        rebuild(tree, base, number, pieces, args.jobs)
        done(number)

    # What commits 4 on changed; the rest was checked after commit 3.
    changed = [p for p in run(['git', 'diff', '--name-only',
                               '--diff-filter=AM', third, 'HEAD'],
                              tree).stdout.split()
               if p.startswith('nova/') and p.endswith('.py')]
    left = rewrite(tree, changed, args.jobs, '--check')
    print('after commit %d: a second rewrite of the %d files commits 4 '
          'to %d changed %s' % (len(steps), len(changed), len(steps),
                                'would change them' if left else
                                'changes nothing'))
    ok &= left == 0
    ok &= check_hacking(tree, args.flake8 or sys.executable)

    patches = os.path.join(out, 'patches')
    run(['git', 'format-patch', '-q', '-o', patches, base], tree)
    commits = run(['git', 'rev-list', '--reverse', '%s..HEAD' % base],
                  tree).stdout.split()
    os.makedirs(os.path.join(out, 'cumulative'))
    for number, sha in enumerate(commits, 1):
        with open(os.path.join(out, 'cumulative', '%02d.patch' % number),
                  'w') as stream:
            stream.write(run(['git', 'diff', base, sha], tree).stdout)
    shutil.copy(os.path.join(out, 'cumulative', '%02d.patch' % len(commits)),
                os.path.join(out, 'series.patch'))
    print('series: %d commits in %s, format-patch in %s' % (
        len(commits), tree, patches))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
