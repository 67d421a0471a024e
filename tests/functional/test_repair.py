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

"""``repair`` against SQLite, PostgreSQL and MariaDB, each in a fresh database.

The flows of :class:`tests.unit.test_repair.RepairScenarios`: a dry run
that writes nothing, ``--apply`` with a journal, a row moved and a row
deleted between ``--plan`` and ``--apply --plan``, and an undo after a row
moved. oslo.db provisions the databases on the servers named in
``OS_TEST_DBAPI_ADMIN_CONNECTION``; a server missing there or unreachable
skips the test, or fails it with ``NOVA_MIGRATION_SM_REQUIRE_SERVERS=1``.
"""

from oslo_db.sqlalchemy import test_fixtures
from oslo_utils import timeutils

from tests.functional import fixtures
from tests.unit import test_cli
from tests.unit import test_repair

load_tests = test_fixtures.optimize_module_test_loader()


class TestRepairOnServers(fixtures.DatabaseTestCase,
                          test_cli.CommandTestCase,
                          test_repair.RepairScenarios):

    scenarios = fixtures.scenarios(('sqlite', 'postgresql', 'mysql'))

    def setUp(self):
        super().setUp()
        self.url = self.database_url()
        self.now = timeutils.utcnow()
