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

import testtools

from nova_migration_sm import fields
from nova_migration_sm import MigrationStatus
from nova_migration_sm import MigrationStatusField


class TestMigrationStatusField(testtools.TestCase):

    field = MigrationStatusField(nullable=True)
    coerce_good_values = [(s, s) for s in MigrationStatus.ALL] + [
        (None, None)]
    coerce_bad_values = ['finish', 'Completed', '', 'running(post-copy)',
                         'faking', 5, b'done', 'done ', 3.0]

    def test_coerce_good_values(self):
        for value, expected in self.coerce_good_values:
            self.assertEqual(expected, self.field.coerce(None, 'status',
                                                         value))

    def test_coerce_bad_values_name_value_and_valid_ones(self):
        for value in self.coerce_bad_values:
            error = self.assertRaises(ValueError, self.field.coerce, None,
                                      'status', value)
            self.assertIn(repr(value), str(error))
            self.assertIn("'running (post-copy)'", str(error))

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
        self.assertRaises(ValueError, self.field.stringify, 'finish')

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
