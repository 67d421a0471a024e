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

"""Read the watchdog's dumps of a hung Nova worker: is it the cell deadlock?

For every dump of a hung test (``RESULTS/dumps/*/threads-PID.txt``, or a
solo-runs series ``SOLO_DIR/run-*/dumps/*/threads-PID.txt``), one line:
which test stub holds a ``CellDatabases`` read lock while waiting for
``update_available_resource``'s futures (a green thread with both
``_run_periodics`` and ``compute/manager.py:11230``), how many green
threads wait for a read lock, whether one waits for the write lock in
``_wrap_target_cell`` (``tests/fixtures/nova.py:592``), and where the main
green thread is (``write lock``, or ``cleanup`` after ``OS_TEST_TIMEOUT``).

Usage: tools/nova/hang_stacks.py DIR...
Exit status 1 if no dump of a running test was found.
"""

import glob
import os
import re
import sys

_STUB = re.compile(r'test_numa_live_migration\.py", line (\d+), in (\w+)')


def dumps(text: str) -> list[str]:
    """The dumps appended to one ``threads-PID.txt``."""
    return ['== pid ' + d for d in text.split('== pid ') if d.strip()]


def read(dump: str) -> dict:
    """What one dump says about the cell lock."""
    head = dump.splitlines()[0]
    green = dump.split('== green threads', 1)[-1].split('\n-- ')
    holders = [t for t in green if 'in _run_periodics' in t and
               'compute/manager.py", line 11230' in t]
    writers = [t for t in green if '_acquire_write_lock' in t]
    main = [t for t in green if t.split('\n', 1)[0].endswith('started main>')]
    where = main[0] if main else ''
    return {
        'test': head.split(' test ', 1)[-1].strip(),
        'holder': sorted({'%s:%s' % m for m in
                          _STUB.findall(''.join(holders))}),
        'readers_waiting': sum(1 for t in green
                               if '_acquire_read_lock' in t),
        'writer_in_wrap_target_cell': sum(
            1 for t in writers if 'fixtures/nova.py", line 592' in t),
        'main': 'write lock' if '_acquire_write_lock' in where else
                'cleanup' if ('_cleanup_executors' in where or
                              '_wait_rpc_server' in where) else 'other',
    }


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    found = 0
    for root in argv:
        for path in sorted(glob.glob(os.path.join(root, '**',
                                                  'threads-*.txt'),
                                     recursive=True)):
            with open(path, encoding='utf-8', errors='replace') as f:
                for number, dump in enumerate(dumps(f.read()), 1):
                    seen = read(dump)
                    if seen['test'] == 'None':
                        continue
                    found += 1
                    print('%s dump %d: %s; holder %s; %d readers waiting; '
                          'writer in _wrap_target_cell %d; main: %s' % (
                              os.path.relpath(path, root), number,
                              seen['test'].rsplit('.', 1)[-1],
                              ', '.join(seen['holder']) or '-',
                              seen['readers_waiting'],
                              seen['writer_in_wrap_target_cell'],
                              seen['main']))
    if not found:
        print('hang_stacks: no dump of a running test under %s' %
              ', '.join(argv), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
