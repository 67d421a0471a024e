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

Servers come from ``NOVA_MIGRATION_SM_TEST_DB_URLS`` (``;``-separated
SQLAlchemy URLs); without it only SQLite runs. With
``NOVA_MIGRATION_SM_REQUIRE_SERVERS=1`` a missing or unreachable server
fails the test instead of skipping it.
"""

import datetime
import os
import uuid

import sqlalchemy as sa
import testscenarios
import testtools

from nova_migration_sm import audit
from nova_migration_sm.cmd import cli
from tests.unit import test_audit

load_tests = testscenarios.load_tests_apply_scenarios

BACKENDS = (('postgresql', 'postgresql+psycopg2'),
            ('mysql', 'mysql+pymysql'))


def _server_url(backend: str) -> str | None:
    urls = os.environ.get('NOVA_MIGRATION_SM_TEST_DB_URLS', '')
    for url in filter(None, (u.strip() for u in urls.split(';'))):
        if sa.make_url(url).get_backend_name() == backend:
            return url
    return None


class FreshDatabase:
    """A database of its own on a server, dropped at cleanup."""

    def __init__(self, server_url: str) -> None:
        self.server = sa.make_url(server_url)
        self.name = 'nmsm_audit_%s' % uuid.uuid4().hex[:12]
        self.url = self.server.set(database=self.name)

    def _admin(self, statement: str) -> None:
        engine = sa.create_engine(self.server,
                                  isolation_level='AUTOCOMMIT')
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(statement)
        finally:
            engine.dispose()

    def create(self) -> None:
        self._admin('CREATE DATABASE %s' % self.name)

    def drop(self) -> None:
        self._admin('DROP DATABASE IF EXISTS %s' % self.name)


class TestAuditOnServers(testtools.TestCase, test_audit.AuditAssertions):

    scenarios = [(name, {'backend': name}) for name, _ in BACKENDS]

    def setUp(self):
        super().setUp()
        url = _server_url(self.backend)
        required = os.environ.get('NOVA_MIGRATION_SM_REQUIRE_SERVERS') == '1'
        if url is None:
            if required:
                self.fail('NOVA_MIGRATION_SM_REQUIRE_SERVERS=1 but '
                          'NOVA_MIGRATION_SM_TEST_DB_URLS has no %s URL'
                          % self.backend)
            self.skipTest('no %s in NOVA_MIGRATION_SM_TEST_DB_URLS'
                          % self.backend)
        database = FreshDatabase(url)
        try:
            database.create()
        except sa.exc.OperationalError as error:
            if required:
                raise
            self.skipTest('%s unreachable: %s' % (self.backend, error))
        self.addCleanup(database.drop)
        self.url = database.url.render_as_string(hide_password=False)
        self.engine = sa.create_engine(database.url)
        self.addCleanup(self.engine.dispose)
        self.now = datetime.datetime(2026, 1, 15, 12, 0, 0)

    def test_finds_the_bad_rows(self):
        # NOTE: migration_type is a native ENUM on both servers: an
        # unknown type cannot be stored there.
        test_audit.Seeder(self.now).good().bad(
            unknown_type=False).insert(self.engine)
        report = audit.audit(self.engine, datetime.timedelta(days=7),
                             now=self.now, batch_size=10)
        self.assert_bad_rows_found(report, unknown_type=False)
        self.assertTrue(report.server_side_cursor)
        self.assertEqual(4 * test_audit.GOOD_PER_TYPE + 3 + 17, report.rows)
        self.assertEqual(-(-report.rows // 10), report.batches)

    def test_streams_in_batches(self):
        seeder = test_audit.Seeder(self.now)
        for _ in range(5000):
            seeder.add('live-migration', 'running', age=datetime.timedelta(
                days=30))
        seeder.insert(self.engine)
        sizes = []
        report = audit.audit(self.engine, now=self.now, batch_size=500,
                             on_batch=lambda r: sizes.append(r.rows))
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
