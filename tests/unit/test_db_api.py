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

"""A deadlock at commit runs the whole conditional write again.

On Galera a commit fails certification when another node wrote the row
first, and the client gets ``DBDeadlock`` (``tests/functional/
test_galera.py`` races it for real). Here the deadlock is injected into
the first try of ``db.migration_update`` on a SQLite file, after another
connection committed the winner's status, and the retry must judge the
write against that status: a conflict naming it, never the loser's
values, never a ``DBDeadlock`` to the caller.
"""

import os

import fixtures
from oslo_db import exception as db_exc
import sqlalchemy as sa

from nova_migration_sm import cas
from nova_migration_sm import exceptions
from nova_migration_sm.reference.db import api as db
from nova_migration_sm.reference.db import models
from tests.unit import base

MIGRATIONS = models.Migration.__table__


class TestDeadlockRetry(base.TestCase):

    def setUp(self):
        super().setUp()
        # NOTE: a file: the winner writes through a connection of its own.
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, 'db')
        db.configure('sqlite:///%s' % path)
        db.create_schema()
        self.addCleanup(db.dispose, db._manager(None))
        self.winner = sa.create_engine('sqlite:///%s' % path)
        self.addCleanup(self.winner.dispose)
        # NOTE: no backoff (time.sleep is the time module's, patched).
        self.useFixture(fixtures.MockPatch('oslo_db.api.time.sleep'))
        self.migration = self.create_migration('resize')  # pre-migrating
        self.tries = []

    def _deadlock_first(self, winner_status=None):
        """The first try: the winner commits, then this commit fails."""
        real = cas.update_if_status

        def update_if_status(*args, **kwargs):
            self.tries.append(args[3]['status'])
            if len(self.tries) == 1:
                if winner_status:
                    with self.winner.begin() as conn:
                        conn.execute(sa.update(MIGRATIONS).where(
                            MIGRATIONS.c.id == self.migration.id).values(
                                status=winner_status, dest_host='winner'))
                raise db_exc.DBDeadlock()
            return real(*args, **kwargs)

        self.useFixture(fixtures.MonkeyPatch(
            'nova_migration_sm.cas.update_if_status', update_if_status))

    def _row(self):
        with self.winner.connect() as conn:
            return conn.execute(sa.select(
                MIGRATIONS.c.status, MIGRATIONS.c.dest_host).where(
                    MIGRATIONS.c.id == self.migration.id)).one()

    def test_retry_writes_when_the_row_still_holds_the_status(self):
        self._deadlock_first()
        db.migration_update(self.context, self.migration.id,
                            {'status': 'migrating', 'dest_host': 'me'},
                            expected_statuses=('pre-migrating',))
        self.assertEqual(['migrating', 'migrating'], self.tries)
        self.assertEqual(('migrating', 'me'), tuple(self._row()))

    def test_retry_judges_against_what_the_winner_committed(self):
        self._deadlock_first(winner_status='error')
        error = self.assertRaises(
            exceptions.MigrationStatusConflict, db.migration_update,
            self.context, self.migration.id,
            {'status': 'migrating', 'dest_host': 'me'},
            expected_statuses=('pre-migrating',))
        self.assertEqual('error', error.kwargs['actual'])
        self.assertEqual(2, len(self.tries))
        self.assertEqual(('error', 'winner'), tuple(self._row()))

    def test_checked_save_after_a_deadlock(self):
        # The object's save: checked from pre-migrating, the write retried
        # after the winner ended the migration in error.
        self._deadlock_first(winner_status='error')
        self.migration.status = 'migrating'
        self.assertRaises(exceptions.MigrationStateMachineError,
                          self.migration.save)
        self.assertEqual('migrating', self.tries[0])
        self.assertEqual(('error', 'winner'), tuple(self._row()))

    def test_deadlock_on_every_retry_is_a_conflict(self):
        # Other nodes keep winning certification: once oslo.db's retries
        # run out, the caller gets a conflict, never a raw DBDeadlock.
        def update_if_status(*args, **kwargs):
            self.tries.append(args[3]['status'])
            raise db_exc.DBDeadlock()

        self.useFixture(fixtures.MonkeyPatch(
            'nova_migration_sm.cas.update_if_status', update_if_status))
        error = self.assertRaises(
            exceptions.MigrationStatusConflict, db.migration_update,
            self.context, self.migration.id, {'status': 'migrating'},
            expected_statuses=('pre-migrating',))
        self.assertEqual(6, len(self.tries))  # the try and 5 retries
        self.assertIn('deadlocked', str(error))
        self.assertIn("'migrating'", str(error))
        self.assertEqual(('pre-migrating', None), tuple(self._row()))

    def test_unconditional_write_keeps_the_deadlock(self):
        self.useFixture(fixtures.MockPatchObject(
            db.models.Migration, 'update', side_effect=db_exc.DBDeadlock))
        self.assertRaises(db_exc.DBDeadlock, db.migration_update,
                          self.context, self.migration.id,
                          {'status': 'migrating'})
