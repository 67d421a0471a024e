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

"""Nova's ``objects.Migration`` and DB API on SQLite, PostgreSQL, MariaDB.

The drop-in as Nova runs it: Nova's schema (its models), Nova's object
(nova_migration_sm's 1.9 in Nova's registry) and Nova's
``db.migration_update(..., expected_statuses=...)``.

* Writer processes race legal and illegal moves from fresh and stale
  views (:mod:`tests.functional.racing`); the database's own history
  must show 0 illegal moves and 0 lost updates. The mutation runs break
  the library in the writers and must make those figures non-zero.
* A same-value save on MySQL/MariaDB with ``CLIENT.FOUND_ROWS`` off,
  where the ``UPDATE`` reports 0 affected rows.
* A conflict under REPEATABLE READ (MariaDB's default): the transaction
  read the row first, another connection commits a new status, and the
  compare-and-swap must name the committed status, not the snapshot's.
"""

import inspect
import pprint

from nova.db.main import api as main_db_api
from nova.db.main import models as nova_models
from nova import objects
import testscenarios
import testtools
from testtools import content

from nova_migration_sm import mixin
from nova_migration_sm.nova import objects as sm_nova_objects
from tests.functional import figures as figures_file
from tests.functional import racing
from tests.nova import base
from tests.nova import writers

load_tests = testscenarios.load_tests_apply_scenarios

WRITERS = 4
ROUNDS = 96
MUTATION_ROUNDS = 48
# NOTE: evacuations and cross-cell moves twice: their machines have races.
KINDS = (('resize', False), ('migration', True), ('live-migration', False),
         ('evacuation', False), ('evacuation', False), ('resize', True))
ROWS_PER_KIND = 2
INITIAL = {'resize': 'pre-migrating', 'migration': 'pre-migrating',
           'live-migration': 'accepted', 'evacuation': 'accepted'}
"""The status Nova creates each type in (hand-written)."""


class NovaTestCase(testtools.TestCase):
    """A fresh Nova database on the scenario's backend; a context on it."""

    backend = 'sqlite'

    def setUp(self):
        super().setUp()
        try:
            self.database = self.useFixture(base.NovaDatabase(self.backend))
        except base.Unavailable as error:
            if base.servers_required():
                self.fail('%s (%s=1)' % (error, base.REQUIRE_ENV))
            self.skipTest(str(error))
        self.context = writers.admin_context(self.database.url)

    def new_migration(self, migration_type, cross_cell=False,
                      context=None):
        """A migration Nova creates: its initial status, Nova's object."""
        migration = objects.Migration(
            context or self.context, migration_type=migration_type,
            cross_cell_move=cross_cell, status=INITIAL[migration_type],
            instance_uuid=self.database.add_instance(),
            source_compute='src', dest_compute='dst',
            dest_host=racing.CREATED_TAG, memory_processed=0)
        migration.create()
        return migration


def _scenarios(backends=base.BACKENDS):
    return [(backend, {'backend': backend}) for backend in backends]


class TestDropInIsInPlace(testtools.TestCase):
    """Nova's registry and DB API are the patched ones (no test without)."""

    def test_nova_migration_is_the_checked_one(self):
        self.assertIs(sm_nova_objects.Migration, objects.Migration)
        self.assertEqual('1.9', objects.Migration.VERSION)
        self.assertTrue(issubclass(objects.Migration,
                                   mixin.MigrationStateMachineMixin))
        self.assertIn('expected_statuses', inspect.signature(
            main_db_api.migration_update).parameters)


class TestNovaWritersRacing(NovaTestCase):

    scenarios = _scenarios()

    def race(self, mutation=None, rounds=ROUNDS) -> racing.Report:
        rows = []
        for migration_type, cross_cell in KINDS * ROWS_PER_KIND:
            migration = self.new_migration(migration_type, cross_cell)
            rows.append(racing.Row(migration.id, migration_type,
                                   cross_cell))
        plan = racing.Plan('tests.nova.writers', self.database.url,
                           tuple(rows), rounds, mutation)
        attempts = racing.run_writers(plan, WRITERS)
        entries, final = racing.read_history(
            self.database.engine, rows, nova_models.Migration.__table__)
        report = racing.judge_history(rows, entries, attempts, final,
                                      WRITERS)
        figures = dict(report.figures(), suite='nova',
                       check=mutation or 'on', backend=self.backend,
                       transport='processes', test=self.id())
        figures_file.record(**figures)
        self.addDetail('figures', content.json_content(figures))
        self.addDetail('problems', content.text_content(
            pprint.pformat(report.problems)))
        print('nova racing writers %s %s: %s' % (
            self.backend, mutation or 'check on', report.figures()))
        return report

    def test_history_holds_only_machine_moves(self):
        report = self.race()
        self.assertEqual([], report.problems)
        for figure in ('illegal_persisted', 'lost_updates',
                       'unacknowledged_writes', 'wrong_outcomes',
                       'broken_histories', 'errors'):
            self.assertEqual(0, getattr(report, figure), figure)
        self.assertEqual(WRITERS * ROUNDS, report.attempts)
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
