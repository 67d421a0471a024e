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

"""The bad-input catalogue (doc/source/reference/bad-input.rst).

Each test feeds one kind of bad input and asserts the specific error, a
message that names what was wrong (and what is allowed), and that the
database is unchanged.
"""

import copy

import fixtures
from oslo_versionedobjects import exception as ovo_exception

from nova_migration_sm import exceptions
from nova_migration_sm import machines
from nova_migration_sm import mixin
from nova_migration_sm.reference import objects
from tests.functional.rig import conductor as rpc_conductor
from tests.unit import base

NAMESPACE = 'nova_object.namespace'
VERSION = 'nova_object.version'
DATA = 'nova_object.data'


class BadInputTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.migration = self.create_migration('live-migration')
        self.migration.status = 'queued'
        self.migration.save()

    def assert_unchanged(self, status='queued'):
        rows = objects.MigrationList.get_by_filters(self.context, {})
        self.assertEqual([(self.migration.uuid, status)],
                         [(m.uuid, m.status) for m in rows])

    def assert_refused_value(self, attr, value, *fragments):
        error = self.assertRaises(ValueError, setattr, self.migration,
                                  attr, value)
        for fragment in fragments:
            self.assertIn(fragment, str(error))
        # The object stays usable: the refused value was never assigned.
        self.assertEqual('queued', self.migration.status)
        self.assertNotIn('status', self.migration.obj_what_changed())
        self.assert_unchanged()
        return error


class TestBadStatusValues(BadInputTestCase):
    """A bad status is carried as Nova's StringField would carry it.

    Strict refuses to write it, naming the migration, its type and the
    allowed moves.
    """

    def assert_refused_write(self, value, *fragments):
        self.migration.status = value
        error = self.assertRaises(
            exceptions.InvalidMigrationStatusTransition, self.migration.save)
        for fragment in (self.migration.uuid, 'live-migration',
                         "allowed next statuses: 'preparing'") + fragments:
            self.assertIn(fragment, str(error))
        self.assert_unchanged()
        return error

    def test_unknown_status(self):
        self.assert_refused_write('teleporting', "to 'teleporting'")

    def test_misspelt_status(self):
        self.assert_refused_write('runing', "'runing'")

    def test_wrong_case_and_spacing(self):
        self.assert_refused_write('Running', "'Running'")
        self.assert_refused_write('running(post-copy)',
                                  "'running(post-copy)'")

    def test_int_status_is_a_string_as_in_nova(self):
        self.migration.status = 1
        self.assertEqual('1', self.migration.status)
        self.assert_refused_write(1, "to '1'")

    def test_bytes_status_is_refused_as_nova_refuses_it(self):
        error = self.assertRaises(ValueError, setattr, self.migration,
                                  'status', b'running')
        self.assertIn('A string is required', str(error))
        self.assertEqual('queued', self.migration.status)
        self.assert_unchanged()

    def test_oversized_status_is_not_echoed_whole(self):
        error = self.assert_refused_write('r' * 100000,
                                          '(100002 characters)')
        self.assertLess(len(str(error)), 1000)

    def test_none_status_cannot_be_saved(self):
        self.migration.status = None
        error = self.assertRaises(
            exceptions.InvalidMigrationStatusTransition, self.migration.save)
        self.assertIn("from status 'queued' to None", str(error))
        self.assertIn(self.migration.uuid, str(error))
        self.assert_unchanged()

    def test_none_status_cannot_be_created(self):
        migration = objects.Migration(
            self.context, migration_type='evacuation', status=None,
            instance_uuid='x')
        error = self.assertRaises(
            exceptions.InvalidMigrationStatusTransition, migration.create)
        self.assertIn("allowed initial statuses: 'accepted', "
                      "'pre-migrating'", str(error))
        self.assert_unchanged()


class TestBadMigrationType(BadInputTestCase):

    def test_unknown_type(self):
        self.assert_refused_value('migration_type', 'teleport',
                                  'teleport')

    def test_null_type_on_the_object(self):
        self.assert_refused_value('migration_type', None,
                                  'migration_type', 'cannot be None')

    def test_unknown_type_in_the_machines(self):
        error = self.assertRaises(exceptions.UnknownMigrationType,
                                  machines.is_allowed, 'teleport', None,
                                  'accepted')
        self.assertIn("'teleport'", str(error))
        self.assertIn("'live-migration'", str(error))

    def test_null_type_in_the_row_is_inferred_as_nova_does(self):
        from nova_migration_sm.reference.db import api as db
        row = db.migration_create(self.context, {
            'status': 'pre-migrating', 'old_instance_type_id': 1,
            'new_instance_type_id': 2, 'uuid': None})
        loaded = objects.Migration.get_by_id(self.context, row.id)
        self.assertEqual('resize', loaded.migration_type)
        loaded.status = 'confirmed'
        self.assertRaises(exceptions.InvalidMigrationStatusTransition,
                          loaded.save)
        self.assertEqual('pre-migrating', self.stored_status(loaded))


class TestBadPrimitives(BadInputTestCase):

    def primitive(self):
        self.migration.status = 'preparing'
        primitive = self.migration.obj_to_primitive()
        self.migration.status = 'queued'
        self.migration.obj_reset_changes(['status'])
        return copy.deepcopy(primitive)

    def assert_load_fails(self, primitive, error_class, *fragments):
        error = self.assertRaises(error_class,
                                  objects.Migration.obj_from_primitive,
                                  primitive, self.context)
        for fragment in fragments:
            self.assertIn(fragment, str(error))
        self.assert_unchanged()

    def test_bad_seen_status(self):
        primitive = self.primitive()
        primitive[mixin.SEEN_STATUS_KEY] = 5
        self.assert_load_fails(primitive, ValueError, mixin.SEEN_STATUS_KEY,
                               '5')

    def test_tampered_status_loads_and_is_refused_on_save(self):
        primitive = self.primitive()
        primitive[DATA]['status'] = 'teleporting'
        loaded = objects.Migration.obj_from_primitive(primitive, self.context)
        self.assertEqual('teleporting', loaded.status)
        error = self.assertRaises(
            exceptions.InvalidMigrationStatusTransition, loaded.save)
        self.assertIn("from status 'queued' to 'teleporting'", str(error))
        self.assert_unchanged()

    def test_tampered_type(self):
        primitive = self.primitive()
        primitive[DATA]['migration_type'] = 'teleport'
        self.assert_load_fails(primitive, ValueError, 'teleport')

    def test_wrong_namespace(self):
        primitive = self.primitive()
        primitive[NAMESPACE] = 'cinder'
        self.assert_load_fails(primitive, ovo_exception.UnsupportedObjectError,
                               'cinder.Migration')

    def test_unknown_major_version(self):
        primitive = self.primitive()
        primitive[VERSION] = '2.0'
        self.assert_load_fails(
            primitive, ovo_exception.IncompatibleObjectVersion, '2.0')

    def test_too_new_version(self):
        primitive = self.primitive()
        primitive[VERSION] = '1.10'
        self.assert_load_fails(
            primitive, ovo_exception.IncompatibleObjectVersion,
            'Version 1.10 of Migration', 'supported version is 1.9')

    def test_malformed_primitive(self):
        primitive = self.primitive()
        del primitive[DATA]
        self.assertRaises(KeyError, objects.Migration.obj_from_primitive,
                          primitive, self.context)
        self.assert_unchanged()

    def test_status_the_receiver_does_not_know_is_not_sent(self):
        # NOTE: as if 'preparing' had been added in 1.10: a 1.9 receiver
        # would not know it, so the sender refuses to backport it.
        self.useFixture(fixtures.MonkeyPatch(
            'nova_migration_sm.fields.STATUSES_ADDED_AFTER_1_9',
            {(1, 10): ('preparing',)}))
        self.useFixture(fixtures.MonkeyPatch(
            'nova_migration_sm.reference.objects.migration.Migration.VERSION',
            '1.10'))
        self.migration.status = 'preparing'
        error = self.assertRaises(ovo_exception.ObjectActionError,
                                  self.migration.obj_to_primitive, '1.9')
        self.assertIn('status=preparing not supported in version 1.9',
                      str(error))
        self.assert_unchanged()


class TestRefusedMoves(BadInputTestCase):

    def assert_refused(self, to_status):
        self.migration.status = to_status
        error = self.assertRaises(
            exceptions.InvalidMigrationStatusTransition, self.migration.save)
        self.assertEqual(self.migration.uuid, error.kwargs['migration'])
        self.assertEqual('live-migration', error.kwargs['migration_type'])
        # Hand-written: live migration leaves queued for these only.
        allowed = ('preparing', 'cancelled', 'error')
        self.assertEqual(allowed, tuple(error.kwargs['allowed']))
        for fragment in (self.migration.uuid, 'type live-migration',
                         "from status 'queued' to %r" % to_status,
                         "allowed next statuses: 'preparing', 'cancelled', "
                         "'error'"):
            self.assertIn(fragment, str(error))
        self.assert_unchanged()
        # Usable afterwards: an allowed move still goes through.
        self.migration.status = 'preparing'
        self.migration.save()
        self.assert_unchanged('preparing')

    def test_refused_move(self):
        self.assert_refused('completed')

    def test_refused_move_over_rpc(self):
        conductor = rpc_conductor.Conductor(None).start()
        self.addCleanup(conductor.stop)
        self.useFixture(fixtures.MonkeyPatch(
            'nova_migration_sm.reference.objects.base.NovaObject.'
            'indirection_api',
            conductor.api()))
        self.assert_refused('completed')
