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

"""Faults in the middle of status moves: nothing lost, nothing illegal.

* A database connection dropped between the compare-and-swap UPDATE and
  the COMMIT (SQLite: an error raised there; PostgreSQL:
  ``pg_terminate_backend``; MySQL/MariaDB: ``KILL``).
* The conductor process killed (SIGKILL) while saves flow through it.
* RabbitMQ stopped and started in the middle of a flow
  (``rabbitmqctl stop_app`` / ``start_app`` on the broker pifpaf runs, as
  pifpaf's own driver stops and starts a node).

Invariant after every fault: the row holds the old or the new status of
the move in flight, never anything else; every acknowledged move is in
the database; the caller got an error or success, and succeeds on retry.
Counts go to the figures file (``NOVA_MIGRATION_SM_FIGURES_FILE``).
"""

import random
import threading
import time

import fixtures as fx
from oslo_db.sqlalchemy import test_fixtures
import sqlalchemy as sa

from nova_migration_sm.db import api as db
from nova_migration_sm import exceptions
from nova_migration_sm import machines
from nova_migration_sm import objects
from nova_migration_sm.objects import base as objects_base
from nova_migration_sm.statuses import MigrationStatus as S
from nova_migration_sm.statuses import MigrationType as T
from tests.functional import fixtures

load_tests = test_fixtures.optimize_module_test_loader()

FAULTS = 8
BOUNCE = {S.DONE: S.COMPLETED, S.COMPLETED: S.DONE}


class _Dropped(Exception):
    """The SQLite stand-in for a connection dropped mid-transaction."""


def evacuation_at_done(context):
    """An evacuation row in ``done`` (it may go done <-> completed)."""
    migration = fixtures.new_migration(context, T.EVACUATION)
    for status in (S.PRE_MIGRATING, S.DONE):
        migration.status = status
        migration.save()
    return migration


class FaultCase(fixtures.FunctionalTestCase):

    def check_row(self, migration, old, new, acknowledged):
        """The row holds old or new; new if the move was acknowledged."""
        stored = db.migration_get(self.context, migration.id).status
        legal = (new,) if acknowledged else (old, new)
        self.illegal += stored not in legal
        self.assertIn(stored, legal)
        return stored

    def setUp(self):
        super().setUp()
        self.faults = self.illegal = 0


class TestDatabaseConnectionDropped(FaultCase):

    scenarios = fixtures.scenarios()

    def _drop(self, conn):
        backend = self.database.backend
        if backend == 'sqlite':
            raise _Dropped('connection dropped mid-transaction')
        raw = conn.connection.dbapi_connection
        if backend == 'postgresql':
            sql = 'SELECT pg_terminate_backend(%d)' % raw.get_backend_pid()
        else:
            sql = 'KILL %d' % raw.thread_id()
        killer = sa.create_engine(self.database.url)
        try:
            with killer.connect() as other:
                other.execute(sa.text(sql))
        finally:
            killer.dispose()

    def test_dropped_between_update_and_commit(self):
        migration = evacuation_at_done(self.context)
        engine = db.get_engine(self.context)
        armed = []

        def after_execute(conn, cursor, statement, *args):
            if armed and statement.lstrip().upper().startswith('UPDATE'):
                armed.pop()
                self._drop(conn)

        sa.event.listen(engine, 'after_cursor_execute', after_execute)
        self.addCleanup(sa.event.remove, engine, 'after_cursor_execute',
                        after_execute)
        for _ in range(FAULTS):
            old, new = migration.status, BOUNCE[migration.status]
            migration.status = new
            armed.append(True)
            self.faults += 1
            # The caller gets an error (nothing was acknowledged)...
            self.assertRaises(Exception, migration.save)  # noqa: H202
            self.assertEqual(old, self.check_row(migration, old, new, False))
            # ... and the same object succeeds on retry.
            migration.save()
            self.check_row(migration, old, new, True)
        self.figures(fault='db-connection-dropped', faults=self.faults,
                     illegal_or_lost=self.illegal)
        self.assertEqual(0, self.illegal)


class TestConductorKilled(FaultCase):

    # NOTE: each class gets its own database; on SQLite a file, which the
    # conductor process opens too.
    scenarios = fixtures.scenarios()

    def setUp(self):
        super().setUp()
        fixtures.check_transport(self, needed=True)

    def test_sigkill_during_saves(self):
        acknowledged = 0
        for round_ in range(2):
            # NOTE: a call to the killed conductor fails when its reply
            # times out; 5 s instead of 30 (no reply takes seconds here).
            process = self.useFixture(fixtures.ConductorProcess(
                self, db_url=self.database.url, timeout=5))
            self.useFixture(fx.MonkeyPatch(
                'nova_migration_sm.objects.base.NovaObject.indirection_api',
                process.api))
            migration = evacuation_at_done(self.context)
            timer = threading.Timer(random.uniform(0.2, 1.0), process.kill)
            timer.start()
            self.faults += 1
            while True:
                old, new = migration.status, BOUNCE[migration.status]
                migration.status = new
                try:
                    migration.save()
                except Exception:  # noqa: BLE001 - any error is clear here
                    break
                acknowledged += 1
                self.check_row(migration, old, new, True)
            timer.join()
            self.check_row(migration, old, new, False)
        self.figures(fault='conductor-sigkill', faults=self.faults,
                     acknowledged=acknowledged, illegal_or_lost=self.illegal)
        self.assertEqual(0, self.illegal)


class TestRabbitMQRestarted(FaultCase):

    scenarios = fixtures.scenarios()[:1]
    BROKER_EXCLUSIVE = True  # no other test uses the broker meanwhile

    def setUp(self):
        super().setUp()
        fixtures.check_transport(self, needed=True)
        self.restart_broker = fixtures.broker_restarter()
        if self.restart_broker is None:
            fixtures.unavailable(
                self, 'Restarting RabbitMQ', 'no broker started by pifpaf '
                '(PIFPAF_RABBITMQ_NODENAME, PIFPAF_RABBITMQ_HOME)')

    def test_restart_in_the_middle_of_a_flow(self):
        migration = evacuation_at_done(self.context)
        done = threading.Event()
        acknowledged = errors = 0
        outages = []

        def restart():
            time.sleep(0.5)
            try:
                outages.append(self.restart_broker())
            finally:
                done.set()
        restart = threading.Thread(target=restart)
        restart.start()
        self.faults += 1
        deadline = time.monotonic() + 120
        while not done.is_set() or acknowledged < 5:
            self.assertLess(time.monotonic(), deadline)
            old, new = migration.status, BOUNCE[migration.status]
            migration.status = new
            try:
                migration.save()
            except exceptions.MigrationStatusConflict:
                # A retry of a move the conductor had written already.
                errors += 1
                migration = objects.Migration.get_by_id(self.context,
                                                        migration.id)
                continue
            except Exception:  # noqa: BLE001 - transport errors, retried
                errors += 1
                self.check_row(migration, old, new, False)
                time.sleep(0.5)
                migration = objects.Migration.get_by_id(self.context,
                                                        migration.id)
                continue
            acknowledged += 1
            self.check_row(migration, old, new, True)
        restart.join()
        # The fault happened: the broker refused connections meanwhile.
        self.assertEqual([True], outages)
        self.figures(fault='rabbitmq-restart', faults=self.faults,
                     acknowledged=acknowledged, caller_errors=errors,
                     illegal_or_lost=self.illegal)
        self.assertEqual(0, self.illegal)
        self.assertIsInstance(objects_base.NovaObject.indirection_api,
                              object)
        self.assertIn(db.migration_get(self.context, migration.id).status,
                      machines.statuses(T.EVACUATION))
