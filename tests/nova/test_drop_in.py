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

from nova.db.main import api as main_db_api
from nova.db.main import models as nova_models
from nova import objects
from nova.objects import migration as nova_migration
import testscenarios
import testtools

from nova_migration_sm import mixin
from tests.functional import racing_tests
from tests.nova import base

load_tests = testscenarios.load_tests_apply_scenarios


class TestDropInIsInPlace(testtools.TestCase):
    """Nova's registry and DB API are the patched ones (no test without)."""

    def test_nova_migration_is_the_checked_one(self):
        self.assertIs(nova_migration.Migration, objects.Migration)
        self.assertEqual('1.9', objects.Migration.VERSION)
        self.assertTrue(issubclass(objects.Migration,
                                   mixin.MigrationStateMachineMixin))
        self.assertIn('expected_statuses', inspect.signature(
            main_db_api.migration_update).parameters)


class TestNovaWritersRacing(racing_tests.RacingWritersTests,
                            base.NovaTestCase):

    scenarios = base.scenarios()

    def racing_target(self) -> racing_tests.Target:
        return racing_tests.Target(
            'nova', self.backend, self.database.url,
            nova_models.Migration.__table__, 'tests.nova.writers',
            self.database.node_urls)

    def new_row(self, migration_type: str, cross_cell: bool) -> int:
        return self.new_migration(migration_type, cross_cell).id
