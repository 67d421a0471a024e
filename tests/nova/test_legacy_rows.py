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

"""The legacy and unknown-status rows of the mode table, on Nova's objects.

Each ``legacy-*`` and ``unknown-*`` row of doc/source/reference/
warn-mode.csv, in each mode, through Nova 34.0.0's own ``Migration`` and
``MigrationList`` (``_from_db_object``, ``get_by_filters``, the DB API)
with the integration registered: rows Nova's code no longer writes are
planted in the ``migrations`` table as an older Nova left them.
"""

from unittest import mock
import uuid

from nova.db.main import models as nova_models
from nova import objects
import testscenarios

from nova_migration_sm import exceptions
from nova_migration_sm import mixin
from tests import modetable
from tests.nova import base

load_tests = testscenarios.load_tests_apply_scenarios


class TestLegacyRows(modetable.LegacyCases, base.NovaTestCase):

    scenarios = base.scenarios()

    objects = objects

    def plant(self, status):
        """A row as an older Nova, or a hand-written UPDATE, left it."""
        with self.database.engine.begin() as conn:
            result = conn.execute(
                nova_models.Migration.__table__.insert().values(
                    uuid=str(uuid.uuid4()), status=status,
                    migration_type='live-migration',
                    instance_uuid=self.database.add_instance(),
                    old_instance_type_id=1, new_instance_type_id=1,
                    hidden=False, cross_cell_move=False, deleted=0))
        return objects.Migration.get_by_id(self.context,
                                           result.inserted_primary_key[0])

    def stored(self, migration_id):
        table = nova_models.Migration.__table__
        with self.database.engine.begin() as conn:
            return conn.execute(table.select().with_only_columns(
                table.c.status).where(table.c.id == migration_id)).scalar()

    # -- the cases the reference objects do not share, by the table's id --

    def _unknown_save(self):
        migration = self.new_migration('live-migration')
        for status in ('queued', 'preparing', 'running'):
            migration.status = status
            migration.save()
        migration.status = 'finshed'
        return migration.save, migration, 'finshed', 'running'

    def _unknown_create(self):
        migration = objects.Migration(
            self.context, migration_type='resize', status='Confirmed',
            instance_uuid=self.database.add_instance(),
            old_instance_type_id=1, new_instance_type_id=2)
        return migration.create, migration, 'Confirmed', None

    CASES = {
        **modetable.LegacyCases.LEGACY,
        'unknown-save': _unknown_save, 'unknown-create': _unknown_create,
    }

    def test_every_case_is_a_row(self):
        self.assertEqual(sorted(self.CASES), sorted(
            row['id'] for row in modetable.rows(('legacy-', 'unknown-'))))

    def _run_cell(self, case, mode, text):
        self.flags.config(enforcement=mode, group='migration_state_machine')
        action, migration, target, before = case(self)
        cell = modetable.Cell.parse(text)
        with mock.patch.object(mixin.LOG, 'warning') as warning:
            if cell.raises:
                error = self.assertRaises(
                    getattr(exceptions, cell.raises), action)
                self.assertIn(migration.uuid if 'id' in migration
                              else '<not created>', str(error))
            else:
                action()
        self.assertEqual(cell.warnings, warning.call_count, text)
        if 'id' not in migration:
            listed = objects.MigrationList.get_by_filters(
                self.context, {'instance_uuid': migration.instance_uuid})
            self.assertEqual(0 if cell.raises else 1, len(listed), text)
            return
        self.assertEqual(before if cell.raises else target,
                         self.stored(migration.id), text)

    def test_every_cell(self):
        cells = 0
        for row in modetable.rows(('legacy-', 'unknown-')):
            for mode in modetable.MODES:
                try:
                    self._run_cell(self.CASES[row['id']], mode, row[mode])
                except Exception as error:
                    raise AssertionError('%s, %s: %s' % (
                        row['id'], mode, error)) from error
                with self.database.engine.begin() as conn:
                    conn.execute(nova_models.Migration.__table__.delete())
                cells += 1
        self.assertEqual(21, cells)
