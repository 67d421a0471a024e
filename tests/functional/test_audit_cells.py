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

"""Every cell from nova.conf, on PostgreSQL and MariaDB.

An API database and three cell databases (cell0, cell1, cell2), each
provisioned by oslo.db on the server ``OS_TEST_DBAPI_ADMIN_CONNECTION``
names; ``cell_mappings`` holds the cells' URLs as Nova stores them. A
server missing there or unreachable skips the test, or fails it with
``NOVA_MIGRATION_SM_REQUIRE_SERVERS=1`` (CI).
"""

import io
import json
import os
import uuid

import fixtures
from oslo_db import exception as db_exception
from oslo_db.sqlalchemy import provision
from oslo_utils import timeutils
import sqlalchemy as sa
import testscenarios
import testtools
from testtools import content

from nova_migration_sm.cmd import cli
from nova_migration_sm.operators import dburl
from nova_migration_sm.operators import upgradecheck
from tests.functional import fixtures as functional
from tests.unit import deployments
from tests.unit.test_audit import Seeder

load_tests = testscenarios.load_tests_apply_scenarios

CELLS = ('cell0', 'cell1', 'cell2')


class TestEveryCellOnServers(testtools.TestCase):

    scenarios = [(backend, {'backend': backend})
                 for backend in ('postgresql', 'mysql')]

    def setUp(self):
        super().setUp()
        try:
            self.server = provision.Backend.backend_for_database_type(
                self.backend)
        except db_exception.BackendNotAvailable as error:
            functional.unavailable(self, 'Database %s' % self.backend, error)
        self.urls = {name: self._database() for name in ('api',) + CELLS}
        self.now = timeutils.utcnow()

    def _database(self) -> str:
        name = 'nmsm_cells_%s' % uuid.uuid4().hex[:12]
        self.server.create_named_database(name)
        self.addCleanup(self.server.drop_named_database, name)
        return self.server.provisioned_database_url(name).render_as_string(
            hide_password=False)

    def _deployment(self, cell2: Seeder) -> str:
        seeders = {'cell0': Seeder(self.now),
                   'cell1': Seeder(self.now).good(), 'cell2': cell2}
        for name, seeder in seeders.items():
            deployments.cell_database(self.urls[name], seeder)
        deployments.api_database(self.urls['api'], (
            (deployments.CELL0_UUID, 'cell0', self.urls['cell0']),
            (deployments.CELL1_UUID, 'cell1', self.urls['cell1']),
            (deployments.CELL2_UUID, 'cell2', self.urls['cell2'])))
        return deployments.nova_conf(
            os.path.join(self.useFixture(fixtures.TempDir()).path,
                         'nova.conf'), self.urls['api'])

    def _assert_no_password(self, text: str) -> None:
        password = sa.make_url(self.urls['api']).password
        if password:
            self.assertNotIn(password, text)

    def _run(self, main, argv) -> tuple[int, str]:
        out = io.StringIO()
        err = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        code = main(argv)
        self.addDetail('stderr %s' % argv[0], content.text_content(
            err.getvalue()))
        return code, out.getvalue()

    def test_rows_that_break_in_one_cell(self):
        # NOTE: migration_type is a native ENUM on both servers: an
        # unknown type cannot be stored there.
        conf = self._deployment(Seeder(self.now).good().bad(
            unknown_type=False))
        code, out = self._run(cli.main, ['audit', '--config-file', conf,
                                         '--format', 'json'])
        self.assertEqual(1, code)
        data = json.loads(out)
        self.assertEqual(
            [('cell0', 0, 0, True), ('cell1', 83, 0, True),
             ('cell2', 83 + 17, 7, True)],
            [(d['name'], d['report']['rows'],
              d['report']['breaking_under_strict'],
              d['report']['server_side_cursor'])
             for d in data['databases']])
        self._assert_no_password(out)
        self.assertEqual(7, data['total']['breaking_under_strict'])
        code, out = self._run(upgradecheck.main, [
            '--config-file', conf, 'upgrade', 'check', '--json'])
        self.assertEqual(1, code)
        check, = json.loads(out)['checks']
        self.assertTrue(check['details'].startswith(
            'Strict is not safe to turn on yet: 7 rows would break under '
            'it. [migration_state_machine] enforcement = warn. Checked 3 of '
            '3 databases (cell0, cell1, cell2): 183 rows. cell2: 7 rows '
            'would break'), check['details'])

    def test_clean_cells(self):
        conf = self._deployment(Seeder(self.now).good())
        code, out = self._run(cli.main, ['audit', '--config-file', conf])
        self.assertEqual(0, code)
        self.assertIn('TOTAL: 3 of 3 cells checked, 166 rows read; 0 would '
                      'break under strict', out)
        # NOTE: the database judged every good row itself.
        self.assertIn('83 rows read; 0 judged row by row, in 0 batches '
                      '(server-side cursor)', out)
        code, out = self._run(upgradecheck.main, [
            '--config-file', conf, 'upgrade', 'check', '--json'])
        self.assertEqual(0, code)
        self.assertEqual(
            'Strict is safe to turn on now: no row would break under it. '
            '[migration_state_machine] enforcement = warn. Checked 3 of 3 '
            'databases (cell0, cell1, cell2): 166 rows. To do: Set '
            "enforcement = strict once the services' logs hold no "
            '"Migration status check failed" warning.',
            json.loads(out)['checks'][0]['details'])

    def test_the_audit_connection_cannot_write(self):
        url = dburl.parse(self.urls['cell1'])

        def write():
            with dburl.connect(url) as connection:
                connection.exec_driver_sql('CREATE TABLE written (i INT)')

        error = self.assertRaises(dburl.CannotCheck, write)
        self.assertIn('read', str(error).lower())
        self.assertIn('only', str(error).lower())
