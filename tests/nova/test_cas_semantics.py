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

"""The compare-and-swap under MySQL's and PostgreSQL's own semantics.

Nova's DB API (``db.migration_update(..., expected_statuses=...)``) and
Nova's object, on a provisioned database of the backend:

* MySQL/MariaDB report *affected* rows, not matched rows, when a client
  connects without ``CLIENT.FOUND_ROWS`` (SQLAlchemy sets it; other
  clients may not): a same-value save's ``UPDATE`` then reports 0 rows
  and must still succeed.
* Under REPEATABLE READ (MariaDB's default) a transaction's plain reads
  return its snapshot; when the row moved meanwhile, the conflict must
  name the status another connection committed.

Both also on Galera when ``GALERA_URLS`` names a cluster; there the other
connection commits on another node.
"""

from nova import context as nova_context
from nova.db.main import api as main_db_api
from nova.db.main import models as nova_models
from oslo_utils import fixture as utils_fixture
from pymysql.constants import CLIENT
import sqlalchemy as sa
import testscenarios

from nova_migration_sm import exceptions
from tests.functional import galera
from tests.functional import history
from tests.nova import base

load_tests = testscenarios.load_tests_apply_scenarios

MIGRATIONS = nova_models.Migration.__table__
NO_FOUND_ROWS = CLIENT.CAPABILITIES
"""PyMySQL's client flags, without ``CLIENT.FOUND_ROWS``."""


def _touch(conn, migration_id: int) -> int:
    """Rows an ``UPDATE`` that changes nothing reports.

    Plain SQL: the model's ``onupdate`` would change ``updated_at``.
    """
    return conn.execute(sa.text(
        'UPDATE migrations SET status = status WHERE id = :id'),
        {'id': migration_id}).rowcount


class TestSameValueWithoutFoundRows(base.NovaTestCase):

    scenarios = base.scenarios(('mysql', galera.BACKEND))

    def _context_without_found_rows(self):
        """A context whose connections do not set ``CLIENT.FOUND_ROWS``.

        As ``create_engine(..., connect_args={'client_flag': ...})``
        would: enginefacade builds the engine, so the flag is set where
        each connection is made, and the connection oslo.db made to test
        the engine is dropped.
        """
        def connect_args(dialect, record, cargs, cparams):
            cparams['client_flag'] = NO_FOUND_ROWS

        def on_engine_create(engine):
            sa.event.listen(engine, 'do_connect', connect_args)
            engine.dispose()

        manager = main_db_api.create_context_manager(self.database.url)
        manager.append_on_engine_create(on_engine_create)
        context = nova_context.get_admin_context()
        context.db_connection = manager
        return context, manager

    def test_same_value_save_reports_zero_rows_and_succeeds(self):
        self.assertFalse(NO_FOUND_ROWS & CLIENT.FOUND_ROWS)
        context, manager = self._context_without_found_rows()
        # Same seconds for updated_at: a same-value save changes nothing.
        self.useFixture(utils_fixture.TimeFixture())
        migration = self.new_migration('live-migration', context=context)
        engine = manager.writer.get_engine()
        # The setting is really off there, and on by default.
        with engine.begin() as conn:
            self.assertEqual(0, _touch(conn, migration.id))
        with self.database.engine.begin() as conn:
            self.assertEqual(1, _touch(conn, migration.id))
        migration.status = 'queued'
        migration.save()
        statements = []

        def record(conn, cursor, statement, *args):
            words = statement.split()
            statements.append((words[0].upper(),
                               'FOR UPDATE' in statement.upper(),
                               cursor.rowcount))

        sa.event.listen(engine, 'after_cursor_execute', record)
        try:
            migration.status = 'queued'
            migration.save()
        finally:
            sa.event.remove(engine, 'after_cursor_execute', record)
        # The conditional UPDATE matched and changed nothing (0 rows); the
        # locking read found an expected status; the UPDATE ran again.
        self.assertEqual([('UPDATE', False, 0), ('SELECT', True, 1),
                          ('UPDATE', False, 0)], statements[:3])
        self.assertEqual('queued', migration.status)
        migration.status = 'preparing'
        migration.save()
        entries = [(e.old, e.new) for e in history.read(self.database.engine)
                   if e.migration_id == migration.id]
        self.assertEqual((None, 'accepted'), entries[0])
        self.assertEqual([('accepted', 'queued'), ('queued', 'preparing')],
                         [e for e in entries[1:] if e[0] != e[1]])


class TestConflictUnderSnapshot(base.NovaTestCase):

    scenarios = base.scenarios(('mysql', 'postgresql', galera.BACKEND))
    ISOLATION = {'mysql': 'REPEATABLE READ', 'postgresql': 'READ COMMITTED',
                 galera.BACKEND: 'REPEATABLE READ'}
    PLAIN_READ = {'mysql': 'queued', 'postgresql': 'preparing',
                  galera.BACKEND: 'queued'}
    """What a plain read in the transaction returns after the commit:
    MySQL's snapshot, PostgreSQL's newest committed row."""

    def test_conflict_names_the_committed_status(self):
        migration = self.new_migration('live-migration')
        migration.status = 'queued'
        migration.save()
        manager = self.context.db_connection
        with manager.writer.using(self.context) as session:
            isolation = session.connection().get_isolation_level()
            # The transaction reads the row first (MySQL: its snapshot).
            seen = main_db_api.migration_get(self.context,
                                             migration.id).status
            # NOTE: Galera: committed on another node, applied on this.
            with self.database.peer_engine.begin() as other:
                other.execute(sa.update(MIGRATIONS).where(
                    MIGRATIONS.c.id == migration.id).values(
                        status='preparing'))
            galera.wait_synced(self.database.node_urls[:1])
            plain = session.execute(sa.select(MIGRATIONS.c.status).where(
                MIGRATIONS.c.id == migration.id)).scalar()
            error = self.assertRaises(
                exceptions.MigrationStatusConflict,
                main_db_api.migration_update, self.context, migration.id,
                {'status': 'running'}, expected_statuses=('queued',))
        self.assertEqual(self.ISOLATION[self.backend], isolation)
        self.assertEqual('queued', seen)
        # A plain read would have named the snapshot on MySQL ...
        self.assertEqual(self.PLAIN_READ[self.backend], plain)
        # ... the compare-and-swap names what was committed.
        self.assertEqual('preparing', error.kwargs['actual'])
        self.assertEqual(('queued',), tuple(error.kwargs['allowed']))
        with self.database.engine.connect() as conn:
            self.assertEqual('preparing', conn.execute(
                sa.select(MIGRATIONS.c.status).where(
                    MIGRATIONS.c.id == migration.id)).scalar())
