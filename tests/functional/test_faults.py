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
* RabbitMQ restarted in the middle of a flow (:mod:`.broker`: pifpaf's
  ``rabbitmqctl stop_app``/``start_app``).

Each test first proves its fault happened: the kill statement ran and
succeeded (or the SQLite stand-in was raised), the conductor's PID is
gone, the broker's port refused connections and the client reconnected.
Invariant after every fault: the row holds the old or the new status of
the move in flight, never anything else; every acknowledged move is in
the database; the caller got the error named below, or success, and
succeeds on retry. Counts go to the figures file
(``NOVA_MIGRATION_SM_FIGURES_FILE``).
"""

import collections
import logging
import os
import random
import signal
import threading
import time

import fixtures as fx
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import test_fixtures
import oslo_messaging
import sqlalchemy as sa

from nova_migration_sm import exceptions
from nova_migration_sm import machines
from nova_migration_sm.reference.db import api as db
from nova_migration_sm.reference import objects
from nova_migration_sm.statuses import MigrationStatus as S
from nova_migration_sm.statuses import MigrationType as T
from tests.functional import broker
from tests.functional import fixtures
from tests.functional import rig

load_tests = test_fixtures.optimize_module_test_loader()

FAULTS = 8
CALL_TIMEOUT = 10
"""Seconds a call to the conductor process waits (30 by default)."""
PATH = {S.ACCEPTED: S.PRE_MIGRATING, S.PRE_MIGRATING: S.DONE,
        S.DONE: S.COMPLETED}


class _Dropped(Exception):
    """The SQLite stand-in for a connection dropped mid-transaction."""


def evacuation_at_done(context):
    """An evacuation row in ``done``."""
    migration = fixtures.new_migration(context, T.EVACUATION)
    for status in (S.PRE_MIGRATING, S.DONE):
        migration.status = status
        migration.save()
    return migration


def next_move(context, migration):
    """Assign an evacuation's next lifecycle move; a new one once it ended.

    Returns ``(migration, old, new)``: every save is a real move.
    """
    if migration.status not in PATH:
        migration = fixtures.new_migration(context, T.EVACUATION)
    old = migration.status
    migration.status = PATH[old]
    return migration, old, migration.status


class FaultCase(fixtures.FunctionalTestCase):

    def check_row(self, migration, old, new, acknowledged):
        """The row holds old or new; new if the move was acknowledged."""
        stored = db.migration_get(self.context, migration.id).status
        legal = (new,) if acknowledged else (old, new)
        self.illegal += stored not in legal
        self.assertIn(stored, legal)
        return stored

    def assert_fails_with(self, error_class, call):
        """``call`` raises exactly ``error_class``, or RPC's word for it.

        Over RabbitMQ an exception of another library than this one
        reaches the caller as oslo.messaging's ``RemoteError`` naming the
        class (``exc_type``); in process, as itself.
        """
        if self.conductor.transport_name == 'in-process':
            error = self.assertRaises(error_class, call)
            self.assertIs(error_class, type(error))
        else:
            error = self.assertRaises(oslo_messaging.RemoteError, call)
            self.assertEqual(error_class.__name__, error.exc_type)
        return error

    def setUp(self):
        super().setUp()
        self.faults = self.illegal = 0


class TestDatabaseConnectionDropped(FaultCase):

    scenarios = fixtures.scenarios()
    # What the caller gets when its connection dies mid-transaction
    # (oslo.db's exception filters).
    ERRORS = {'sqlite': db_exc.DBError,
              'postgresql': db_exc.DBConnectionError,
              'mysql': db_exc.DBConnectionError}

    def _drop(self, conn):
        """Kill the connection ``conn`` from another one; note the kill."""
        backend = self.database.backend
        if backend == 'sqlite':
            self.kills.append(True)
            raise _Dropped('connection dropped mid-transaction')
        raw = conn.connection.dbapi_connection
        if backend == 'postgresql':
            sql = 'SELECT pg_terminate_backend(%d)' % raw.get_backend_pid()
        else:
            sql = 'KILL %d' % raw.thread_id()
        killer = sa.create_engine(self.database.url)
        try:
            with killer.connect() as other:
                result = other.execute(sa.text(sql))
                # pg_terminate_backend says whether it signalled the
                # backend; KILL raises for an unknown thread.
                self.kills.append(result.scalar() if result.returns_rows
                                  else True)
        finally:
            killer.dispose()

    def test_dropped_between_update_and_commit(self):
        migration = evacuation_at_done(self.context)
        engine = db.get_engine(self.context)
        armed = []
        self.kills = []

        def after_execute(conn, cursor, statement, *args):
            if armed and statement.lstrip().upper().startswith('UPDATE'):
                armed.pop()
                self._drop(conn)

        sa.event.listen(engine, 'after_cursor_execute', after_execute)
        self.addCleanup(sa.event.remove, engine, 'after_cursor_execute',
                        after_execute)
        expected = self.ERRORS[self.database.backend]
        for _ in range(FAULTS):
            migration, old, new = next_move(self.context, migration)
            armed.append(True)
            self.faults += 1
            # The caller gets the connection's error: nothing was
            # acknowledged...
            self.assert_fails_with(expected, migration.save)
            self.assertEqual(old, self.check_row(migration, old, new, False))
            # ... and the same object succeeds on retry.
            migration.save()
            self.check_row(migration, old, new, True)
        # Every fault happened: each armed UPDATE had its connection
        # killed.
        self.assertEqual([], armed)
        self.assertEqual([True] * FAULTS, self.kills)
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
            process = self.useFixture(fixtures.ConductorProcess(
                self, db_url=self.database.url))
            process.api.client = process.api.client.prepare(
                timeout=CALL_TIMEOUT)
            self.useFixture(fx.MonkeyPatch(
                'nova_migration_sm.reference.objects.base.NovaObject.'
                'indirection_api',
                process.api))
            migration = evacuation_at_done(self.context)
            pid = process.process.pid
            timer = threading.Timer(random.uniform(0.2, 1.0), process.kill)
            timer.start()
            self.faults += 1
            in_flight = None
            while True:
                try:
                    migration, old, new = next_move(self.context, migration)
                    in_flight = (migration, old, new)
                    migration.save()
                except oslo_messaging.MessagingTimeout:
                    break  # no conductor answers any more
                acknowledged += 1
                in_flight = None
                self.check_row(migration, old, new, True)
            timer.join()
            # The fault happened: the conductor died of SIGKILL and its
            # PID is gone.
            self.assertEqual(-signal.SIGKILL, process.process.returncode)
            self.assertRaises(ProcessLookupError, os.kill, pid, 0)
            if in_flight:
                self.check_row(*in_flight, acknowledged=False)
        self.figures(fault='conductor-sigkill', faults=self.faults,
                     acknowledged=acknowledged, illegal_or_lost=self.illegal)
        self.assertEqual(0, self.illegal)


class TestRabbitMQRestarted(FaultCase):

    scenarios = fixtures.scenarios()[:1]
    BROKER_EXCLUSIVE = True  # no other test uses the broker meanwhile

    def setUp(self):
        super().setUp()
        fixtures.check_transport(self, needed=True)
        self.url = rig.transport_url_from_env()
        try:
            self.mechanism = broker.how(self.url)
        except broker.CannotRestart as error:
            fixtures.unavailable(self, 'Restarting RabbitMQ', error)

    def test_restart_in_the_middle_of_a_flow(self):
        rabbit_log = self.useFixture(fx.FakeLogger(
            name='oslo.messaging._drivers.impl_rabbit', level=logging.INFO))
        migration = evacuation_at_done(self.context)
        restarts = []

        def restart():
            time.sleep(0.5)
            try:
                restarts.append(broker.restart(self.url))
            except Exception as error:  # noqa: BLE001 - re-raised below
                restarts.append(error)

        thread = threading.Thread(target=restart)
        thread.start()
        self.faults += 1
        acknowledged, errors = 0, collections.Counter()
        deadline = time.monotonic() + 120
        while thread.is_alive() or acknowledged < 5:
            self.assertLess(time.monotonic(), deadline)
            migration, old, new = next_move(self.context, migration)
            try:
                migration.save()
            except exceptions.MigrationStatusConflict:
                # A retry of a move the conductor had written already.
                errors['MigrationStatusConflict'] += 1
                migration = objects.Migration.get_by_id(self.context,
                                                        migration.id)
                continue
            except oslo_messaging.MessagingException as error:
                # The broker is away: the call was not answered.
                errors[type(error).__name__] += 1
                self.check_row(migration, old, new, False)
                time.sleep(0.5)
                migration = objects.Migration.get_by_id(self.context,
                                                        migration.id)
                continue
            acknowledged += 1
            self.check_row(migration, old, new, True)
        thread.join()
        restarted = restarts[0]
        if isinstance(restarted, Exception):
            raise restarted
        # The fault happened: the broker's port refused connections and
        # the client reconnected.
        self.addDetail('restart', fixtures.content.text_content(
            repr(restarted)))
        self.assertTrue(restarted.went_down, restarted)
        self.assertIn('Reconnected to AMQP server', rabbit_log.output)
        self.assert_went_through_conductor()
        self.figures(fault='rabbitmq-restart', faults=self.faults,
                     acknowledged=acknowledged,
                     caller_errors=sum(errors.values()),
                     illegal_or_lost=self.illegal)
        self.addDetail('caller errors', fixtures.content.json_content(
            dict(errors)))
        self.assertEqual(0, self.illegal)
        self.assertLessEqual(set(errors), {
            'MigrationStatusConflict', 'MessagingTimeout',
            'MessageDeliveryFailure'})
        self.assertIn(db.migration_get(self.context, migration.id).status,
                      machines.statuses(T.EVACUATION))
