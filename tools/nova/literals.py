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

"""Run the status-literal check (M301-M304) on a Nova sdist.

Usage:
  tools/nova/literals.py SDIST           nova/ (tests excluded) against the
                                         hand count of
                                         nova-34-migration-statuses.md 6.1;
                                         exit 1 if a status's count differs
  tools/nova/literals.py SDIST --zero    nova/ and nova/tests/: per-file
                                         counts; exit 1 unless 0 are left
Prints flake8's findings first. Exit 2 when flake8 could not run.
"""

import collections
import os
import re
import subprocess
import sys

from nova_migration_sm.statuses import MigrationStatus

HERE = os.path.dirname(os.path.abspath(__file__))
HAND_COUNT = {
    # section 6.1: migration-status uses in nova/ (tests excluded)
    'accepted': 4, 'pre-migrating': 5, 'migrating': 2, 'post-migrating': 5,
    'finished': 7, 'confirming': 3, 'confirmed': 6, 'reverting': 1,
    'reverted': 6, 'error': 17, 'failed': 9, 'done': 6, 'completed': 4,
    'queued': 5, 'preparing': 5, 'running': 9, 'running (post-copy)': 4,
    'cancelled': 7}
HAND_FILES = 17
_LINE = re.compile(r"^(?P<path>[^:]+):\d+:\d+: (?P<code>M30\d) migration "
                   r"status literal '(?P<status>[^']+)'")


def _flake8(sdist: str, *args: str):
    output = subprocess.run(
        [sys.executable, '-m', 'flake8', '--config',
         os.path.join(HERE, 'flake8-literals.ini'), *args, 'nova'],
        cwd=sdist, capture_output=True, text=True)
    if output.returncode not in (0, 1) or output.stderr.strip() or \
            not os.path.isdir(os.path.join(sdist, 'nova', 'tests')):
        print(output.stderr or 'no nova/tests in %s' % sdist,
              file=sys.stderr)
        return None
    print(output.stdout, end='')
    return [m for m in map(_LINE.match, output.stdout.splitlines()) if m]


def zero(sdist: str) -> int:
    """Per-file counts in nova/ and nova/tests/; 1 unless none."""
    hits = _flake8(sdist)
    if hits is None:
        return 2
    by_file = collections.Counter(m['path'] for m in hits)
    for path, count in sorted(by_file.items()):
        print('%5d  %s' % (count, path))
    tests = sum(c for p, c in by_file.items() if p.startswith('nova/tests'))
    print('literals left: %d in nova/ (tests excluded), %d in nova/tests/'
          % (len(hits) - tests, tests))
    return 1 if hits else 0


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or len(argv) == 3 and argv[2] != '--zero':
        print(__doc__, file=sys.stderr)
        return 2
    sdist = argv[1]
    if len(argv) == 3:
        return zero(sdist)
    hits = _flake8(sdist, '--exclude', 'nova/tests')
    if hits is None:
        return 2
    by_status = collections.Counter(m['status'] for m in hits)
    by_code = collections.Counter(m['code'] for m in hits)
    files = {m['path'] for m in hits}
    print('\nstatus                 flagged  hand count')
    for status in MigrationStatus.ALL:
        mark = '' if by_status[status] == HAND_COUNT[status] else \
            '  (%+d)' % (by_status[status] - HAND_COUNT[status])
        print('%-22s %7d  %10d%s' % (status, by_status[status],
                                     HAND_COUNT[status], mark))
    print('flagged: %d literals in %d files (%s); hand count: %d in %d '
          'files' % (len(hits), len(files), ', '.join(
              '%s %d' % kv for kv in sorted(by_code.items())),
              sum(HAND_COUNT.values()), HAND_FILES))
    return 0 if by_status == collections.Counter(HAND_COUNT) and \
        len(files) == HAND_FILES else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
