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

"""The statements a save sends: checked as many as plain Nova's.

Plain Nova's ``migration_update`` reads the row (``migration_get``) and
writes it (the ORM's ``UPDATE``): two statements. A checked save of a
fresh writer is one conditional ``UPDATE`` and Nova's ``migration_get``:
two as well. Only when the ``UPDATE`` matches nothing is the row read
again (a locking read) and the move judged from what it holds.
"""

from oslo_config import fixture as config_fixture
from sqlalchemy import event
import testscenarios

from nova_migration_sm import conf as sm_conf
from nova_migration_sm import exceptions
from tests.nova import base

load_tests = testscenarios.load_tests_apply_scenarios


class TestRoundTrips(base.NovaTestCase):

    scenarios = base.scenarios()

    def setUp(self):
        super().setUp()
        sm_conf.register_opts(sm_conf.CONF)
        self.flags = self.useFixture(config_fixture.Config(sm_conf.CONF))
        engine = self.context.db_connection.writer.get_engine()
        self.statements = []

        def record(conn, cursor, statement, *args):
            self.statements.append(statement.split()[0].upper())

        event.listen(engine, 'before_cursor_execute', record)
        self.addCleanup(event.remove, engine, 'before_cursor_execute',
                        record)

    def _save(self, migration, status):
        migration.status = status
        del self.statements[:]
        migration.save()
        return [s for s in self.statements if s in ('SELECT', 'UPDATE')]

    def test_checked_save_sends_what_plain_nova_sends(self):
        plain = self.new_migration('live-migration')
        checked = self.new_migration('live-migration')
        self.flags.config(enforcement='off', group='migration_state_machine')
        plain_statements = self._save(plain, 'queued')
        self.flags.config(enforcement='strict',
                          group='migration_state_machine')
        checked_statements = self._save(checked, 'queued')
        self.assertEqual(['SELECT', 'UPDATE'], plain_statements)
        self.assertEqual(['UPDATE', 'SELECT'], checked_statements)

    def test_stale_writer_reads_the_row_once_more(self):
        migration = self.new_migration('evacuation')
        self._save(migration, 'pre-migrating')
        stale = type(migration).get_by_id(self.context, migration.id)
        again = type(migration).get_by_id(self.context, migration.id)
        self._save(migration, 'completed')
        # A declared race: the locking read names completed, then the
        # conditional write again and Nova's read.
        self.assertEqual(['UPDATE', 'SELECT', 'UPDATE', 'SELECT'],
                         self._save(stale, 'done'))
        # No declared race (done -> failed): the locking read names done;
        # nothing is written.
        again.status = 'failed'
        del self.statements[:]
        self.assertRaises(exceptions.MigrationStatusConflict, again.save)
        self.assertEqual(['UPDATE', 'SELECT'], [
            s for s in self.statements if s in ('SELECT', 'UPDATE')])
