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

"""Writer processes racing any status move on the same rows.

Four writer processes (each with its own database connections, as four
conductors) save targets drawn from all 18 statuses, legal or not, from
fresh and stale views of the same rows (:mod:`tests.functional.racing`).
A trigger records every status the database persisted; each row's history
is then judged against the hand-written transcription of the machines,
independently of the library. Figures: attempts, refusals, conflicts, race
moves taken, illegal persisted, lost updates.

The mutation tests run the same harness with the library broken in the
writer processes (the check off, the compare-and-swap blind, a
compare-and-swap that reports writes it never made) and assert the
history judge then reports illegal moves or lost updates: the figures of
the real run can fail.
"""

import pprint

import sqlalchemy as sa
import testscenarios
from testtools import content

from nova_migration_sm.db import models
from nova_migration_sm.statuses import MigrationType as T
from tests.functional import fixtures
from tests.functional import history
from tests.functional import racing

load_tests = testscenarios.load_tests_apply_scenarios

WRITERS = 4
ROUNDS = 96
MUTATION_ROUNDS = 48
# NOTE: evacuations and cross-cell moves twice: their machines have races.
KINDS = ((T.RESIZE, False), (T.MIGRATION, True), (T.LIVE_MIGRATION, False),
         (T.EVACUATION, False), (T.EVACUATION, False), (T.RESIZE, True))
ROWS_PER_KIND = 2


class TestWritersRacing(fixtures.FunctionalTestCase):

    scenarios = fixtures.scenarios()

    def _engine(self) -> sa.engine.Engine:
        engine = sa.create_engine(self.database.url,
                                  poolclass=sa.pool.NullPool)
        self.addCleanup(engine.dispose)
        if not sa.inspect(engine).has_table(history.TABLE):
            history.install(engine)
        return engine

    def race(self, mutation=None, rounds=ROUNDS) -> racing.Report:
        """Race the writers on fresh rows; the judged history."""
        engine = self._engine()
        rows = []
        for migration_type, cross_cell in KINDS * ROWS_PER_KIND:
            migration = fixtures.new_migration(
                self.context, migration_type, cross_cell_move=cross_cell,
                dest_host=racing.CREATED_TAG, memory_processed=0)
            rows.append(racing.Row(migration.id, migration_type,
                                   cross_cell))
        plan = racing.Plan('tests.functional.writers', self.database.url,
                           tuple(rows), rounds, mutation)
        attempts = racing.run_writers(plan, WRITERS)
        entries, final = racing.read_history(
            engine, rows, models.Migration.__table__)
        report = racing.judge_history(rows, entries, attempts, final,
                                      WRITERS)
        figures = dict(report.figures(), suite='library',
                       check=mutation or 'on', backend=self.database.backend,
                       transport='processes', test=self.id())
        fixtures.record_figures(**figures)
        self.addDetail('figures', content.json_content(figures))
        self.addDetail('problems', content.text_content(
            pprint.pformat(report.problems)))
        print('racing writers %s %s: %s' % (
            self.database.backend, mutation or 'check on',
            report.figures()))
        return report

    def test_history_holds_only_machine_moves(self):
        report = self.race()
        self.assertEqual([], report.problems)
        for figure in ('illegal_persisted', 'lost_updates',
                       'unacknowledged_writes', 'wrong_outcomes',
                       'broken_histories', 'errors'):
            self.assertEqual(0, getattr(report, figure), figure)
        self.assertEqual(WRITERS * ROUNDS, report.attempts)
        # The writers raced: each outcome happened.
        self.assertGreater(report.written, 0)
        self.assertGreater(report.refused, 0)
        self.assertGreater(report.conflicts, 0)

    def test_mutation_check_off_persists_illegal_moves(self):
        report = self.race('check-off', MUTATION_ROUNDS)
        self.assertGreater(report.illegal_persisted, 0)
        self.assertEqual(0, report.refused + report.conflicts)

    def test_mutation_blind_write_persists_illegal_moves(self):
        report = self.race('cas-off', MUTATION_ROUNDS)
        self.assertGreater(report.illegal_persisted, 0)

    def test_mutation_lying_write_loses_updates(self):
        report = self.race('cas-lies', MUTATION_ROUNDS)
        self.assertGreater(report.lost_updates, 0)
