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

"""``nova-status upgrade check``'s "Migration statuses", as Nova runs it.

Nova's own schemas (``nova.db.api.models``, ``nova.db.main.models``) in
SQLite files, and a process that parses its config with Nova's
``nova.config.parse_args`` and runs the patched
``UpgradeCommands._check_migration_statuses``, as ``nova-status`` does.
"""

import datetime
import json
import os
import subprocess
import sys

import fixtures
from nova.db.api import models as api_models
from nova.db.main import models as main_models
import sqlalchemy as sa
import testtools

CHECK = '''
import json, sys
from nova.cmd import status
from nova import config
config.parse_args(['nova-status', '--config-file', sys.argv[1]])
result = status.UpgradeCommands()._check_migration_statuses()
print(json.dumps([int(result.code), result.details]))
'''


class TestNovaStatus(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.path = self.useFixture(fixtures.TempDir()).path
        cell = 'sqlite:///%s' % os.path.join(self.path, 'cell1.sqlite')
        api = sa.create_engine('sqlite:///%s' % os.path.join(
            self.path, 'api.sqlite'))
        api_models.BASE.metadata.create_all(api)
        with api.begin() as connection:
            connection.execute(api_models.CellMapping.__table__.insert(), [
                dict(uuid='11111111-1111-4111-8111-111111111111',
                     name='cell1', transport_url='none:///',
                     database_connection=cell, disabled=False)])
        api.dispose()
        self.cell = sa.create_engine(cell)
        self.addCleanup(self.cell.dispose)
        main_models.BASE.metadata.create_all(self.cell)
        long_ago = datetime.datetime.utcnow() - datetime.timedelta(days=30)
        with self.cell.begin() as connection:
            connection.execute(main_models.Service.__table__.insert(), [
                dict(host='compute-7', binary='nova-compute',
                     topic='compute', report_count=0, disabled=False,
                     version=70, deleted=0)])
            connection.execute(main_models.Migration.__table__.insert(), [
                dict(uuid='a0000000-0000-4000-8000-00000000000%d' % i,
                     instance_uuid='b0000000-0000-4000-8000-00000000000%d'
                     % i, migration_type='evacuation', status='done',
                     source_compute='compute-7', cross_cell_move=False,
                     hidden=False, created_at=long_ago, updated_at=long_ago,
                     deleted=0) for i in (1, 2)])
        self.conf = os.path.join(self.path, 'nova.conf')
        with open(self.conf, 'w') as out:
            out.write('[api_database]\nconnection = sqlite:///%s\n'
                      '[database]\nconnection = %s\n' % (
                          os.path.join(self.path, 'api.sqlite'), cell))

    def check(self, options: str = '') -> tuple[int, str]:
        if options:
            with open(self.conf, 'a') as out:
                out.write('[migration_state_machine]\n%s\n' % options)
        done = subprocess.run([sys.executable, '-W', 'ignore', '-c', CHECK,
                               self.conf], capture_output=True, text=True,
                              timeout=300, check=True)
        return tuple(json.loads(done.stdout.splitlines()[-1]))

    def test_evacuations_waiting_for_their_compute_are_a_success(self):
        code, details = self.check()
        self.assertEqual(0, code, details)
        self.assertIn('Information: cell1: 2 evacuations done since before ',
                      details)

    def test_deleted_compute_service_is_a_warning(self):
        with self.cell.begin() as connection:
            connection.exec_driver_sql('UPDATE services SET deleted = id')
        code, details = self.check()
        self.assertEqual(1, code, details)
        self.assertIn('whose source host has no nova-compute service in the '
                      'cell: compute-7 (2); nothing will complete them.',
                      details)

    def test_invalid_enforcement_is_a_failure(self):
        code, details = self.check('enforcement = strikt')
        self.assertEqual(2, code, details)
        self.assertTrue(details.startswith(
            '[migration_state_machine] enforcement in %s is not valid: valid '
            "values are [strict, warn, off], but found 'strikt'." %
            self.conf), details)
