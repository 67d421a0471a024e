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

"""MigrationStateMachineMixin on the reference Migration and SQLite."""

from unittest import mock

from oslo_versionedobjects import base as ovo_base

from nova_migration_sm import exceptions
from nova_migration_sm import mixin
from nova_migration_sm import objects
from tests.unit import base


class TestCreate(base.TestCase):

    def test_initial_status_is_created(self):
        migration = self.create_migration('live-migration')
        self.assertEqual('accepted', self.stored_status(migration))

    def test_non_initial_status_is_refused_and_nothing_written(self):
        migration = objects.Migration(self.context,
                                      migration_type='live-migration',
                                      status='running', instance_uuid='x')
        error = self.assertRaises(
            exceptions.InvalidMigrationStatusTransition, migration.create)
        self.assertIn('may not be created with status', str(error))
        self.assertIn("allowed initial statuses: 'accepted'", str(error))
        self.assertIn('type live-migration', str(error))
        self.assertEqual([], objects.MigrationList.get_by_filters(
            self.context, {}).objects)
        self.assertFalse(migration.obj_attr_is_set('id'))

    def test_no_status_is_refused(self):
        migration = objects.Migration(self.context, migration_type='resize')
        self.assertRaises(exceptions.InvalidMigrationStatusTransition,
                          migration.create)

    def test_missing_type_keeps_nova_error(self):
        migration = objects.Migration(self.context, status='pre-migrating')
        self.assertRaisesRegex(Exception, 'without a migration_type',
                               migration.create)

    def test_copy_allows_any_status_of_the_type(self):
        source = self.create_migration('resize', cross_cell_move=True)
        source.status = 'migrating'
        source.save()
        # As Nova's clone_creatable_object: clone, drop id, dirty all.
        copy = source.obj_clone()
        del copy.id
        for field in copy.obj_fields:
            if field in copy:
                setattr(copy, field, getattr(copy, field))
        copy.uuid = 'a1b2c3d4-0000-4000-8000-000000000002'
        copy.create_copy()
        self.assertEqual('migrating', self.stored_status(copy))

    def test_copy_refuses_a_status_foreign_to_the_type(self):
        copy = objects.Migration(self.context, migration_type='evacuation',
                                 status='running', instance_uuid='x')
        error = self.assertRaises(exceptions.MigrationCopyError,
                                  copy.create_copy)
        self.assertIn("'running' is not a status of this type", str(error))

    def test_copy_refused_over_rpc(self):
        copy = objects.Migration(self.context, migration_type='resize',
                                 status='confirmed', instance_uuid='x')
        with mock.patch.object(objects.Migration, 'indirection_api',
                               mock.Mock()):
            self.assertRaises(exceptions.MigrationCopyError,
                              copy.create_copy)

    def test_plain_create_refuses_copied_status(self):
        copy = objects.Migration(self.context, migration_type='resize',
                                 status='confirmed', instance_uuid='x')
        self.assertRaises(exceptions.InvalidMigrationStatusTransition,
                          copy.create)


class TestSave(base.TestCase):

    def test_allowed_moves_are_written(self):
        migration = self.create_migration('evacuation')
        for status in ('pre-migrating', 'done', 'completed'):
            migration.status = status
            migration.save()
            self.assertEqual(status, self.stored_status(migration))
            self.assertEqual(set(), migration.obj_what_changed())

    def test_refused_move_writes_nothing_and_keeps_the_change(self):
        migration = self.walk(self.create_migration('resize'), 'migrating',
                              'post-migrating', 'finished', 'confirming',
                              'confirmed')
        migration.status = 'migrating'
        migration.dest_host = '192.0.2.7'
        error = self.assertRaises(
            exceptions.InvalidMigrationStatusTransition, migration.save)
        self.assertIsInstance(error, ValueError)
        self.assertIn(migration.uuid, str(error))
        self.assertIn('type resize', str(error))
        self.assertIn("from status 'confirmed' to 'migrating'", str(error))
        self.assertIn("allowed next statuses: 'error'", str(error))
        self.assertEqual({'migration': migration.uuid,
                          'migration_type': 'resize',
                          'cross_cell_move': False,
                          'from_status': 'confirmed',
                          'to_status': 'migrating', 'allowed': ('error',)},
                         error.kwargs)
        stored = objects.Migration.get_by_id(self.context, migration.id)
        self.assertEqual('confirmed', stored.status)
        self.assertIsNone(stored.dest_host)
        self.assertEqual({'status', 'dest_host'},
                         migration.obj_what_changed())
        # The object stays usable: a legal move from there still works.
        migration.status = 'error'
        migration.save()
        self.assertEqual('error', self.stored_status(migration))

    def test_same_value_is_a_no_op(self):
        migration = self.create_migration('resize')
        migration.status = 'pre-migrating'
        self.assertIn('status', migration.obj_what_changed())
        migration.save()
        self.assertEqual('pre-migrating', self.stored_status(migration))

    def test_save_without_status_change_is_not_checked(self):
        migration = self.create_migration('live-migration')
        with mock.patch.object(migration, '_sm_check') as check:
            migration.memory_total = 1024
            migration.save()
        check.assert_not_called()

    def test_cross_cell_edges_only_for_cross_cell_rows(self):
        same_cell = self.create_migration('resize')
        same_cell.status = 'finished'
        self.assertRaises(exceptions.InvalidMigrationStatusTransition,
                          same_cell.save)
        cross_cell = self.create_migration(
            'resize', cross_cell_move=True,
            uuid='a1b2c3d4-0000-4000-8000-000000000003')
        cross_cell.status = 'finished'
        cross_cell.save()
        self.assertEqual('finished', self.stored_status(cross_cell))

    def test_from_is_read_from_the_database_when_never_seen(self):
        migration = self.create_migration('live-migration')
        migration.status = 'queued'
        migration.save()
        # An object built from scratch never saw the row's status.
        blind = objects.Migration(self.context, id=migration.id,
                                  migration_type='live-migration',
                                  status='accepted')
        self.assertRaisesRegex(exceptions.InvalidMigrationStatusTransition,
                               "from status 'queued' to 'accepted'",
                               blind.save)

    def test_seen_status_travels_in_the_primitive(self):
        migration = self.create_migration('live-migration')
        migration.status = 'queued'
        primitive = migration.obj_to_primitive()
        self.assertEqual('accepted', primitive[mixin.SEEN_STATUS_KEY])
        received = objects.Migration.obj_from_primitive(primitive,
                                                        self.context)
        self.assertEqual('accepted', received._sm_seen_status())
        received.save()
        self.assertEqual('queued', self.stored_status(migration))

    def test_unchanged_status_is_not_added_to_the_primitive(self):
        migration = self.create_migration('live-migration')
        self.assertNotIn(mixin.SEEN_STATUS_KEY,
                         migration.obj_to_primitive())

    def test_tampered_seen_status_is_refused(self):
        migration = self.create_migration('live-migration')
        migration.status = 'queued'
        primitive = migration.obj_to_primitive()
        primitive[mixin.SEEN_STATUS_KEY] = 'teleporting'
        self.assertRaisesRegex(ValueError, 'teleporting',
                               objects.Migration.obj_from_primitive,
                               primitive, self.context)

    def test_clone_keeps_what_it_saw(self):
        migration = self.create_migration('live-migration')
        migration.status = 'queued'
        self.assertEqual('accepted',
                         migration.obj_clone()._sm_seen_status())

    def test_null_type_is_inferred_like_nova(self):
        migration = self.create_migration('resize')
        from nova_migration_sm.db import api as db
        db.migration_update(self.context, migration.id,
                            {'migration_type': None})
        loaded = objects.Migration.get_by_id(self.context, migration.id)
        self.assertEqual('resize', loaded.migration_type)
        loaded.status = 'migrating'
        loaded.save()
        self.assertEqual('migrating', self.stored_status(loaded))

    def test_save_and_create_stay_remotable(self):
        for name in ('save', 'create'):
            self.assertTrue(getattr(getattr(objects.Migration, name),
                                    'remotable', False), name)
        self.assertIsNone(objects.Migration.indirection_api)


class TestAttributeStorage(base.TestCase):

    def test_hot_path_reads_where_ovo_stores_fields(self):
        # The mixin reads o.vo's storage directly; catch an o.vo change.
        migration = self.create_migration('live-migration')
        for name in ('status', 'migration_type', 'cross_cell_move'):
            attr = getattr(mixin, {'status': '_STATUS',
                                   'migration_type': '_TYPE',
                                   'cross_cell_move': '_CROSS_CELL'}[name])
            self.assertEqual(ovo_base._get_attrname(name), attr)
            self.assertEqual(getattr(migration, name),
                             migration.__dict__[attr])


class TestStaleWrites(base.TestCase):

    def _two_views(self):
        migration = self.create_migration('evacuation')
        migration.status = 'pre-migrating'
        migration.save()
        return (objects.Migration.get_by_id(self.context, migration.id),
                objects.Migration.get_by_id(self.context, migration.id))

    def test_stale_writer_gets_a_conflict_and_writes_nothing(self):
        source, dest = self._two_views()
        source.status = 'completed'
        source.save()
        dest.status = 'done'
        error = self.assertRaises(exceptions.MigrationStatusConflict,
                                  dest.save)
        self.assertEqual('pre-migrating', error.kwargs['expected'])
        self.assertEqual('completed', error.kwargs['actual'])
        self.assertIn("expected status 'pre-migrating'", str(error))
        self.assertIn('type evacuation', str(error))
        self.assertEqual('completed', self.stored_status(dest))
        self.assertEqual({'status'}, dest.obj_what_changed())

    def test_without_stale_detection_the_move_is_checked_from_the_row(self):
        self.flags.config(detect_stale_writes=False,
                          group='migration_state_machine')
        source, dest = self._two_views()
        source.status = 'completed'
        source.save()
        dest.status = 'done'
        dest.save()  # completed -> done: Nova's race, bug 1764883.
        self.assertEqual('done', self.stored_status(dest))

    def test_without_stale_detection_a_refused_move_stays_refused(self):
        self.flags.config(detect_stale_writes=False,
                          group='migration_state_machine')
        source, dest = self._two_views()
        source.status = 'failed'
        source.save()
        dest.status = 'done'
        self.assertRaisesRegex(exceptions.InvalidMigrationStatusTransition,
                               "from status 'failed' to 'done'", dest.save)
        self.assertEqual('failed', self.stored_status(dest))


class TestEnforcement(base.TestCase):

    def _confirmed(self):
        return self.walk(self.create_migration('migration'), 'migrating',
                         'post-migrating', 'finished', 'confirmed')

    def test_warn_logs_once_and_writes(self):
        self.set_enforcement('warn')
        migration = self._confirmed()
        migration.status = 'migrating'
        with mock.patch.object(mixin.LOG, 'warning') as warning:
            migration.save()
        self.assertEqual(1, warning.call_count)
        args, kwargs = warning.call_args
        self.assertIn('enforcement = warn', args[0])
        self.assertEqual('confirmed', kwargs['extra'][
            'migration_state_machine']['from_status'])
        self.assertEqual('migrating', self.stored_status(migration))

    def test_warn_on_create(self):
        self.set_enforcement('warn')
        with mock.patch.object(mixin.LOG, 'warning') as warning:
            migration = self.create_migration('live-migration',
                                              status='completed')
        self.assertEqual(1, warning.call_count)
        self.assertEqual('completed', self.stored_status(migration))

    def test_warn_on_stale_write_logs_and_writes(self):
        self.set_enforcement('warn')
        migration = self.create_migration('live-migration')
        stale = objects.Migration.get_by_id(self.context, migration.id)
        migration.status = 'queued'
        migration.save()
        stale.status = 'error'
        with mock.patch.object(mixin.LOG, 'warning') as warning:
            stale.save()
        self.assertEqual(1, warning.call_count)
        self.assertEqual('error', self.stored_status(migration))

    def test_off_checks_nothing(self):
        self.set_enforcement('off')
        migration = self._confirmed()
        migration.status = 'queued'
        with mock.patch.object(mixin.LOG, 'warning') as warning:
            migration.save()
        warning.assert_not_called()
        self.assertEqual('queued', self.stored_status(migration))

    def test_strict_is_the_default(self):
        from nova_migration_sm import conf
        self.assertEqual('strict',
                         conf.CONF.migration_state_machine.enforcement)

    def test_bad_enforcement_value_is_refused(self):
        self.assertRaises(ValueError, self.set_enforcement, 'lenient')


class TestRemotable(base.TestCase):
    """save() through an indirection API runs the check on the far side."""

    def test_refusal_raised_remotely_leaves_object_unchanged(self):
        migration = self.create_migration('live-migration')
        migration.status = 'completed'
        indirection = mock.Mock(spec=ovo_base.VersionedObjectIndirectionAPI)

        def object_action(context, objinst, objmethod, args, kwargs):
            remote = objects.Migration.obj_from_primitive(
                objinst.obj_to_primitive(), context)
            with mock.patch.object(objects.Migration, 'indirection_api',
                                   None):
                getattr(remote, objmethod)(*args, **kwargs)
            return {}, None

        indirection.object_action.side_effect = object_action
        with mock.patch.object(objects.Migration, 'indirection_api',
                               indirection):
            self.assertRaises(exceptions.InvalidMigrationStatusTransition,
                              migration.save)
        self.assertEqual('completed', migration.status)
        self.assertEqual({'status'}, migration.obj_what_changed())
        self.assertEqual('accepted', self.stored_status(migration))
