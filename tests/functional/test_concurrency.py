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

"""Many writers racing status moves on the same rows through the conductor.

Every round, all writer threads read the same row, meet at a barrier and
each save a move the machine allows from what they read. The database's
compare-and-swap lets one through; every other writer must get
``MigrationStatusConflict``. Afterwards each row's successful moves must
chain into one path of its machine from its initial status to the status
the database holds, and no move outside the machine may have been written.
"""

import collections
import random
import threading

from oslo_db.sqlalchemy import test_fixtures

from nova_migration_sm import exceptions
from nova_migration_sm import machines
from nova_migration_sm import objects
from nova_migration_sm.statuses import MigrationType as T
from tests.functional import fixtures

load_tests = test_fixtures.optimize_module_test_loader()

WRITERS = 8
ROUNDS = 24
ROWS = ((T.RESIZE, False), (T.MIGRATION, True), (T.LIVE_MIGRATION, False),
        (T.EVACUATION, False))


def chain(start, moves):
    """The path through every move (an Eulerian trail) from ``start``.

    None if the moves do not form one path.
    """
    left = collections.defaultdict(list)
    for src, dst in moves:
        left[src].append(dst)
    stack, path = [start], []
    while stack:
        if left[stack[-1]]:
            stack.append(left[stack[-1]].pop())
        else:
            path.append(stack.pop())
    path.reverse()
    return path if len(path) == len(moves) + 1 else None


class TestRacingWriters(fixtures.FunctionalTestCase):

    scenarios = fixtures.scenarios()

    def _race(self, rows):
        barrier = threading.Barrier(WRITERS)
        moves = collections.defaultdict(list)
        lost = collections.Counter()
        wins = collections.Counter()
        unexpected = []
        lock = threading.Lock()

        def writer(seed):
            rng = random.Random(seed)
            for round_ in range(ROUNDS):
                row = rows[round_ % len(rows)]
                seen = objects.Migration.get_by_uuid(self.context, row.uuid)
                barrier.wait()
                choices = machines.next_statuses(
                    seen.migration_type, seen.status, seen.cross_cell_move)
                if not choices:
                    continue
                old, seen.status = seen.status, rng.choice(choices)
                try:
                    seen.save()
                except exceptions.MigrationStatusConflict:
                    with lock:
                        lost[row.uuid] += 1
                except Exception as error:  # noqa: BLE001
                    with lock:
                        unexpected.append(error)
                else:
                    with lock:
                        moves[row.uuid].append((old, seen.status))
                        wins[round_] += 1

        threads = [threading.Thread(target=writer, args=(seed,))
                   for seed in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Every writer of a round read the same status: one may win.
        self.assertLessEqual(max(wins.values(), default=0), 1)
        return moves, lost, unexpected

    def test_racing_writers_leave_machine_paths(self):
        rows = [fixtures.new_migration(self.context, migration_type,
                                       cross_cell_move=cross_cell)
                for migration_type, cross_cell in ROWS]
        moves, lost, unexpected = self._race(rows)
        self.assertEqual([], unexpected)
        illegal = 0
        attempts = sum(lost.values()) + sum(map(len, moves.values()))
        for row in rows:
            key = (row.migration_type, row.cross_cell_move)
            stored = objects.Migration.get_by_uuid(self.context, row.uuid)
            illegal += sum(not machines.is_allowed(key[0], src, dst, key[1])
                           for src, dst in moves[row.uuid])
            path = chain(row.status, moves[row.uuid])
            self.assertIsNotNone(path, 'moves of %s are no path: %s'
                                 % (key, moves[row.uuid]))
            self.assertEqual(stored.status, path[-1])
            self.addDetail('path %s' % (key,), fixtures.content.text_content(
                ' -> '.join(path)))
        self.assertEqual(0, illegal)
        # One winner per contended round at most: every other writer lost.
        self.assertGreater(sum(lost.values()), 0)
        summary = dict(concurrent_writers=WRITERS, save_attempts=attempts,
                       races_lost=sum(lost.values()),
                       moves_written=sum(map(len, moves.values())),
                       illegal_persisted=illegal)
        print('racing writers %s: %s' % (self.database.backend, summary))
        self.figures(**summary)
