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

"""MigrationStatusField, in the oslo.versionedobjects TestField style."""

from oslo_versionedobjects import fields as ovo_fields
import testtools

from nova_migration_sm import fields
from nova_migration_sm import MigrationStatus
from nova_migration_sm import MigrationStatusField


class TestMigrationStatusField(testtools.TestCase):

    field = MigrationStatusField(nullable=True)
    coerce_good_values = [(s, s) for s in MigrationStatus.ALL] + [
        (None, None)]
    legacy_values = [('finish', 'finish'), ('Completed', 'Completed'),
                     ('', ''), ('running(post-copy)', 'running(post-copy)'),
                     ('done ', 'done '), (5, '5'), (3.0, '3.0')]
    """Values Nova's StringField carries, and what it makes of them."""
    coerce_bad_values = [b'done', ['done'], {'status': 'done'}]

    def test_coerce_good_values(self):
        for value, expected in self.coerce_good_values:
            self.assertEqual(expected, self.field.coerce(None, 'status',
                                                         value))

    def test_legacy_values_are_carried_as_nova_carries_them(self):
        nova_field = ovo_fields.StringField(nullable=True)
        for value, expected in self.legacy_values:
            self.assertEqual(expected, self.field.coerce(None, 'status',
                                                         value))
            self.assertEqual(nova_field.coerce(None, 'status', value),
                             self.field.coerce(None, 'status', value))
            self.assertEqual(expected, self.field.from_primitive(
                None, 'status', self.field.to_primitive(None, 'status',
                                                        expected)))

    def test_coerce_bad_values_as_nova_refuses_them(self):
        for value in self.coerce_bad_values:
            self.assertRaisesRegex(ValueError, 'A string is required',
                                   self.field.coerce, None, 'status', value)

    def test_not_nullable_refuses_none(self):
        field = MigrationStatusField(nullable=False)
        self.assertRaises(ValueError, field.coerce, None, 'status', None)

    def test_to_and_from_primitive(self):
        for status in MigrationStatus.ALL:
            self.assertEqual(status, self.field.to_primitive(None, 'status',
                                                             status))
            self.assertEqual(status, self.field.from_primitive(
                None, 'status', status))

    def test_stringify(self):
        self.assertEqual("'finished'", self.field.stringify('finished'))
        self.assertEqual("'finish'", self.field.stringify('finish'))

    def test_valid_values_are_all_statuses_in_order(self):
        self.assertEqual(MigrationStatus.ALL,
                         tuple(self.field._type.valid_values))

    def test_schema(self):
        schema = self.field.get_schema()
        self.assertEqual(list(MigrationStatus.ALL), list(schema['enum']))


class TestMigrationTypeField(testtools.TestCase):

    def test_repr_matches_nova(self):
        # Nova fingerprints include the enum class name: MigrationType.
        self.assertIn('MigrationType(',
                      repr(fields.MigrationTypeField(nullable=False)))
