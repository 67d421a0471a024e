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

"""The audit against PostgreSQL and MariaDB, each in a fresh database.

oslo.db provisions the databases on the servers named in
``OS_TEST_DBAPI_ADMIN_CONNECTION``; a server missing there or unreachable
skips the test, or fails it with ``NOVA_MIGRATION_SM_REQUIRE_SERVERS=1``.
"""

import datetime

from oslo_db.sqlalchemy import test_fixtures
import sqlalchemy as sa

from nova_migration_sm.cmd import cli
from nova_migration_sm.operators import auditdb
from tests.functional import fixtures
from tests.unit import test_audit

load_tests = test_fixtures.optimize_module_test_loader()


class TestAuditOnServers(fixtures.DatabaseTestCase,
                         test_audit.AuditAssertions,
                         test_audit.SkippedBySqlAssertions):

    scenarios = fixtures.scenarios(('postgresql', 'mysql'))

    def setUp(self):
        super().setUp()
        self.url = self.database_url()
        self.engine = sa.create_engine(self.url)
        self.addCleanup(self.engine.dispose)
        self.now = datetime.datetime(2026, 1, 15, 12, 0, 0)

    def test_finds_the_bad_rows(self):
        # NOTE: migration_type is a native ENUM on both servers: an
        # unknown type cannot be stored there.
        test_audit.Seeder(self.now).good().bad(
            unknown_type=False).insert(self.engine)
        report = auditdb.audit_table(self.engine, datetime.timedelta(days=7),
                                     now=self.now, batch_size=10)
        self.assert_bad_rows_found(report, unknown_type=False)
        self.assertTrue(report.server_side_cursor)
        self.assertEqual(4 * test_audit.GOOD_PER_TYPE + 3 + 17, report.rows)
        self.assertEqual(-(-report.read // 10), report.batches)

    def test_sql_skips_only_rows_without_findings(self):
        # NOTE: MySQL compares strings without case or trailing spaces
        # unless told otherwise; migration_type is a native ENUM.
        self.assert_sql_skips_only_healthy_rows(self.engine, self.now,
                                                test_audit.T.ALL + (None,))

    def test_streams_in_batches(self):
        seeder = test_audit.Seeder(self.now)
        for _ in range(5000):
            seeder.add('live-migration', 'running', age=datetime.timedelta(
                days=30))
        seeder.insert(self.engine)
        sizes = []
        report = auditdb.audit_table(
            self.engine, now=self.now, batch_size=500,
            on_batch=lambda r: sizes.append(r.read))
        self.assertTrue(report.server_side_cursor)
        self.assertEqual(list(range(500, 5001, 500)), sizes)
        self.assertEqual(5000, report.stuck_rows)

    def test_command_exit_codes(self):
        test_audit.Seeder(self.now).good().insert(self.engine)
        self.assertEqual(0, cli.main(['audit', '--db-url', self.url,
                                      '--format', 'json']))
        test_audit.Seeder(self.now).bad(unknown_type=False).insert(
            self.engine, table='shadow_migrations')
        self.assertEqual(1, cli.main(['audit', '--db-url', self.url,
                                      '--table', 'shadow_migrations',
                                      '--format', 'json']))
