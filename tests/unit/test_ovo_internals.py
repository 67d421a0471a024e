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

"""Pins the oslo.versionedobjects behaviour ovo_internals relies on."""

from oslo_versionedobjects import base as ovo_base
import testtools

from nova_migration_sm import ovo_internals as ovo
from nova_migration_sm.reference import objects

# NOTE: as Nova's nova/test.py, the tests register the objects once.
objects.register_all()


class TestStorage(testtools.TestCase):

    def test_set_fields_live_under_their_storage_name(self):
        migration = objects.Migration(migration_type='evacuation',
                                      status='accepted',
                                      cross_cell_move=False)
        for name, attr in (('status', ovo.STATUS),
                           ('migration_type', ovo.MIGRATION_TYPE),
                           ('cross_cell_move', ovo.CROSS_CELL_MOVE)):
            self.assertEqual(ovo_base._get_attrname(name), attr)
            self.assertEqual(getattr(migration, name),
                             migration.__dict__[attr])
            self.assertEqual(getattr(migration, name),
                             ovo.value(migration, attr))

    def test_unset_field_has_no_storage(self):
        migration = objects.Migration()
        self.assertIs(ovo.UNSET, ovo.value(migration, ovo.STATUS))
        self.assertFalse(migration.obj_attr_is_set('status'))

    def test_changes_are_field_names(self):
        migration = objects.Migration(status='accepted')
        self.assertTrue(ovo.is_changed(migration, 'status'))
        self.assertEqual({'status'}, migration._changed_fields)
        migration.obj_reset_changes()
        self.assertFalse(ovo.is_changed(migration, 'status'))
        migration.status = 'accepted'  # the same value still counts
        self.assertTrue(ovo.is_changed(migration, 'status'))

    def test_primitive_carries_changed_names(self):
        migration = objects.Migration(status='accepted')
        migration.obj_reset_changes()
        migration.status = 'queued'
        received = objects.Migration.obj_from_primitive(
            migration.obj_to_primitive())
        self.assertTrue(ovo.is_changed(received, 'status'))
        self.assertEqual('queued', ovo.value(received, ovo.STATUS))

    def test_a_reset_of_no_field_resets_every_field(self):
        # o.vo's obj_reset_changes() tests ``if fields:``, so an empty list
        # resets every change, as None does; ovo.resets() says the same.
        for fields in (None, [], (), ['status'], ['migration_type'],
                       ('status', 'migration_type')):
            migration = objects.Migration(migration_type='evacuation',
                                          status='accepted')
            migration.obj_reset_changes(fields)
            self.assertEqual(not ovo.is_changed(migration, 'status'),
                             ovo.resets(fields, 'status'), fields)
        migration = objects.Migration(migration_type='evacuation',
                                      status='accepted')
        migration.obj_reset_changes([])
        self.assertEqual(set(), migration._changed_fields)
