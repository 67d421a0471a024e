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

import contextlib
from unittest import mock

import fixtures
from oslo_utils import uuidutils
from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects import exception as ovo_exception

from nova_migration_sm import exceptions
from nova_migration_sm import mixin
from nova_migration_sm import observers
from nova_migration_sm.reference.db import api as db
from nova_migration_sm.reference.db import models
from nova_migration_sm.reference import objects
from nova_migration_sm.reference.objects import migration as migration_objects
from tests import modetable
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
        self.assertEqual(
            "Migration <not created> (type live-migration) may not be "
            "created with status 'running'; allowed initial statuses: "
            "'accepted'.", str(error))
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

    def test_created_twice_keeps_the_object_error(self):
        # The second create() is the object's own error (Nova's
        # "already created"), whatever status the object now holds.
        migration = self.create_migration('resize')
        migration.status = 'migrating'
        migration.save()
        self.assertRaisesRegex(ovo_exception.ObjectActionError,
                               'already created', migration.create)
        self.assertEqual('migrating', self.stored_status(migration))

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

    def test_fabricated_rows_fixture(self):
        running = objects.Migration(self.context,
                                    migration_type='live-migration',
                                    status='running', instance_uuid='x')
        foreign = objects.Migration(self.context,
                                    migration_type='evacuation',
                                    status='running', instance_uuid='y')
        with fixtures.MockPatchObject(mixin.MigrationStateMachineMixin,
                                      '_sm_fabricating', True):
            running.create()
            self.assertRaises(exceptions.MigrationCopyError, foreign.create)
            # Saves stay checked: running -> queued is no move.
            running.status = 'queued'
            self.assertRaises(exceptions.InvalidMigrationStatusTransition,
                              running.save)
        self.assertEqual('running', self.stored_status(running))
        again = objects.Migration(self.context,
                                  migration_type='live-migration',
                                  status='running', instance_uuid='z')
        self.assertRaises(exceptions.InvalidMigrationStatusTransition,
                          again.create)


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
        self.assertEqual(
            "Migration %s (type resize) may not move from status "
            "'confirmed' to 'migrating'; allowed next statuses: 'error'."
            % migration.uuid, str(error))
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

    def test_a_fresh_save_is_one_conditional_write(self):
        migration = self.create_migration('live-migration')
        migration.status = 'queued'
        with mock.patch.object(db, 'migration_update',
                               wraps=db.migration_update) as update, \
                mock.patch.object(objects.Migration, 'get_by_id') as read:
            migration.save()
        read.assert_not_called()
        update.assert_called_once_with(
            self.context, migration.id, {'status': 'queued'},
            expected_statuses=('accepted',))

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

    def test_never_seen_status_is_judged_from_the_row(self):
        migration = self.walk(self.create_migration('live-migration'),
                              'queued')
        # An object built from scratch never saw the row's status.
        blind = objects.Migration(self.context, id=migration.id,
                                  migration_type='live-migration',
                                  status='accepted')
        error = self.assertRaises(
            exceptions.InvalidMigrationStatusTransition, blind.save)
        self.assertIn("from status 'queued' to 'accepted'", str(error))
        blind.status = 'preparing'
        blind.save()
        self.assertEqual('preparing', self.stored_status(migration))

    def test_never_seen_writer_reads_nothing_and_writes_on_condition(self):
        # developers.rst: the row may hold a status the move starts from
        # (queued, by the lifecycle; no race) or the target itself.
        migration = self.walk(self.create_migration('live-migration'),
                              'queued')
        blind = objects.Migration(self.context, id=migration.id,
                                  migration_type='live-migration',
                                  status='preparing')
        with mock.patch.object(db, 'migration_update',
                               wraps=db.migration_update) as update, \
                mock.patch.object(objects.Migration, 'get_by_id') as read:
            blind.save()
        read.assert_not_called()
        self.assertEqual({'queued', 'preparing'},
                         set(update.call_args.kwargs['expected_statuses']))
        self.assertEqual('preparing', self.stored_status(migration))

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

    def test_a_reset_of_an_empty_list_is_a_reset_of_every_field(self):
        # o.vo's obj_reset_changes([]) resets every change, as () does
        # (pinned in test_ovo_internals): the object now holds 'queued' as
        # what it saw, and says so to the conductor.
        migration = self.create_migration('live-migration')
        migration.status = 'queued'
        migration.obj_reset_changes([])
        migration.status = 'preparing'
        self.assertEqual('queued',
                         migration.obj_to_primitive()[mixin.SEEN_STATUS_KEY])

    def test_unchanged_status_is_not_added_to_the_primitive(self):
        migration = self.create_migration('live-migration')
        self.assertNotIn(mixin.SEEN_STATUS_KEY,
                         migration.obj_to_primitive())

    def test_tampered_seen_status_is_judged_from_the_row(self):
        migration = self.create_migration('live-migration')
        migration.status = 'queued'
        primitive = migration.obj_to_primitive()
        primitive[mixin.SEEN_STATUS_KEY] = 'teleporting'
        received = objects.Migration.obj_from_primitive(primitive,
                                                        self.context)
        # No status Nova writes: judged as a legacy row, refused unwritten.
        error = self.assertRaises(exceptions.InvalidMigrationStatusTransition,
                                  received.save)
        self.assertIn("holds status 'teleporting'", str(error))
        self.assertEqual('accepted', self.stored_status(migration))

    def test_clone_keeps_what_it_saw(self):
        migration = self.create_migration('live-migration')
        migration.status = 'queued'
        self.assertEqual('accepted',
                         migration.obj_clone()._sm_seen_status())

    def test_null_type_is_inferred_like_nova(self):
        migration = self.create_migration('resize')
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


class TestStaleWrites(base.TestCase):
    """Races told apart from illegal moves (issue 10)."""

    def _two_views(self, *path):
        migration = self.walk(self.create_migration('evacuation'), *path)
        return (objects.Migration.get_by_id(self.context, migration.id),
                objects.Migration.get_by_id(self.context, migration.id))

    def test_declared_race_goes_through(self):
        source, dest = self._two_views('pre-migrating')
        self.walk(source, 'completed')
        dest.status = 'done'
        dest.save()  # completed -> done: Nova's race, bug 1764883.
        self.assertEqual('done', self.stored_status(dest))
        self.assertEqual('done', dest._sm_seen_status())

    def test_writer_that_saw_completed_cannot_go_back(self):
        source, _ = self._two_views('pre-migrating')
        self.walk(source, 'completed')
        source.status = 'pre-migrating'
        self.assertRaisesRegex(exceptions.InvalidMigrationStatusTransition,
                               "from status 'completed' to 'pre-migrating'",
                               source.save)
        self.assertEqual('completed', self.stored_status(source))

    def test_stale_writer_not_in_a_declared_race_gets_a_conflict(self):
        source, dest = self._two_views('pre-migrating')
        self.walk(source, 'failed')
        dest.status = 'done'
        error = self.assertRaises(exceptions.MigrationStatusConflict,
                                  dest.save)
        self.assertEqual(
            "Migration %s (type evacuation) was last seen in status "
            "'pre-migrating' but the database holds 'failed'; the move to "
            "'done' was not written. A stale writer may only move to 'done' "
            "from: 'completed'." % dest.uuid, str(error))
        self.assertEqual('failed', self.stored_status(dest))
        self.assertEqual({'status'}, dest.obj_what_changed())

    def test_stale_writer_illegal_from_its_own_view_is_refused(self):
        source, dest = self._two_views()
        self.walk(source, 'pre-migrating', 'completed')
        dest.status = 'done'  # it saw accepted: accepted -> done is none
        self.assertRaisesRegex(exceptions.InvalidMigrationStatusTransition,
                               "from status 'accepted' to 'done'", dest.save)
        self.assertEqual('completed', self.stored_status(dest))

    def test_detect_stale_writes_refuses_every_stale_write(self):
        self.flags.config(detect_stale_writes=True,
                          group='migration_state_machine')
        source, dest = self._two_views('pre-migrating')
        self.walk(source, 'completed')
        dest.status = 'done'
        self.assertRaises(exceptions.MigrationStatusConflict, dest.save)
        self.assertEqual('completed', self.stored_status(dest))

    def test_retries_run_out_when_the_row_keeps_moving(self):
        # The conductor's rollback (saw pre-migrating) writes error while
        # the source compute keeps moving a cross-cell row: each status it
        # finds is a declared race into error, the next write misses again.
        migration = self.create_migration('resize', cross_cell_move=True)
        migration.status = 'error'
        moves = iter(['migrating', 'post-migrating', 'reverted'])

        def row_moved(context, migration_id, values, expected_statuses):
            raise exceptions.MigrationStatusConflict(
                migration=migration.uuid, migration_type='resize',
                expected=expected_statuses[0], actual=next(moves),
                to_status=values['status'])

        with mock.patch.object(db, 'migration_update',
                               side_effect=row_moved) as update:
            error = self.assertRaises(exceptions.MigrationStatusConflict,
                                      migration.save)
        self.assertEqual(3, mixin._STALE_RETRIES)
        self.assertEqual(
            [('pre-migrating',), ('migrating',), ('post-migrating',)],
            [c.kwargs['expected_statuses'] for c in update.call_args_list])
        self.assertEqual('pre-migrating', error.kwargs['expected'])
        self.assertEqual('reverted', error.kwargs['actual'])
        self.assertEqual('pre-migrating', self.stored_status(migration))


class TestWarnModeTable(modetable.LegacyCases, base.TestCase):
    """Every cell of doc/source/reference/warn-mode.csv."""

    def _legal_fresh(self, stack):
        migration = self.walk(self.create_migration('resize'), 'migrating',
                              'post-migrating', 'finished')
        migration.status = 'confirming'
        return migration.save, migration, 'confirming', 'finished'

    def _declared_race(self, stack):
        migration = self.walk(self.create_migration('evacuation'),
                              'pre-migrating')
        stale = objects.Migration.get_by_id(self.context, migration.id)
        self.walk(migration, 'completed')
        stale.status = 'done'
        return stale.save, stale, 'done', 'completed'

    def _illegal_fresh(self, stack):
        migration = self.walk(self.create_migration('migration'),
                              'migrating', 'post-migrating', 'finished',
                              'confirmed')
        migration.status = 'migrating'
        return migration.save, migration, 'migrating', 'confirmed'

    def _undeclared_race(self, stack):
        migration = self.create_migration('resize')
        stale = objects.Migration.get_by_id(self.context, migration.id)
        self.walk(migration, 'migrating', 'post-migrating', 'finished',
                  'confirmed')
        stale.status = 'error'
        return stale.save, stale, 'error', 'confirmed'

    def _race_detected(self, stack):
        self.flags.config(detect_stale_writes=True,
                          group='migration_state_machine')
        return self._declared_race(stack)

    def _row_keeps_moving(self, stack):
        save, migration, target, stored = self._legal_fresh(stack)
        real_update = db.migration_update

        def update(context, migration_id, values, expected_statuses=None):
            if expected_statuses is None:
                return real_update(context, migration_id, values)
            raise exceptions.MigrationStatusConflict(
                migration=migration.uuid, migration_type='resize',
                expected=expected_statuses[0], actual='finished' if
                expected_statuses != ('finished',) else 'confirming',
                to_status='confirming')

        stack.enter_context(mock.patch.object(db, 'migration_update',
                                              side_effect=update))
        return save, migration, target, stored

    def _create_not_initial(self, stack):
        migration = objects.Migration(self.context,
                                      migration_type='live-migration',
                                      status='running', instance_uuid='x')
        return migration.create, migration, 'running', None

    def _copy_foreign(self, stack):
        migration = objects.Migration(self.context,
                                      migration_type='evacuation',
                                      status='running', instance_uuid='x')
        return migration.create_copy, migration, 'running', None

    def _row_gone(self, stack, target='queued'):
        migration = self.create_migration('live-migration')
        with db._writer(self.context) as session:
            session.query(models.Migration).filter_by(
                id=migration.id).delete()
        migration.status = target
        return migration.save, migration, target, None

    def _row_gone_illegal(self, stack):
        return self._row_gone(stack, 'completed')

    # -- rows Nova's code no longer writes ---------------------------------

    objects = objects

    def plant(self, status):
        """A row as an older Nova, or a hand-written UPDATE, left it."""
        row = db.migration_create(self.context, {
            'uuid': uuidutils.generate_uuid(), 'status': status,
            'migration_type': 'live-migration', 'instance_uuid': 'x',
            'old_instance_type_id': 1, 'new_instance_type_id': 1})
        return objects.Migration.get_by_id(self.context, row.id)

    def _unknown_save(self, stack):
        migration = self.walk(self.create_migration('live-migration'),
                              'queued', 'preparing', 'running')
        migration.status = 'finshed'
        return migration.save, migration, 'finshed', 'running'

    def _unknown_create(self, stack):
        migration = objects.Migration(self.context, migration_type='resize',
                                      status='Confirmed', instance_uuid='x')
        return migration.create, migration, 'Confirmed', None

    CASES = {
        'legal-fresh': _legal_fresh, 'declared-race': _declared_race,
        'illegal-fresh': _illegal_fresh, 'undeclared-race': _undeclared_race,
        'race-detected': _race_detected,
        'row-keeps-moving': _row_keeps_moving,
        'create-not-initial': _create_not_initial,
        'copy-foreign': _copy_foreign, 'row-gone': _row_gone,
        'row-gone-illegal': _row_gone_illegal,
        **modetable.LegacyCases.LEGACY,
        'unknown-save': _unknown_save, 'unknown-create': _unknown_create,
    }

    def test_table_covers_every_case(self):
        self.assertEqual(sorted(self.CASES),
                         sorted(row['id'] for row in modetable.rows()))

    def _run_cell(self, case, mode, text, stack):
        self.set_enforcement(mode)
        self.flags.config(detect_stale_writes=False,
                          group='migration_state_machine')
        action, migration, target, stored_before = case(self, stack)
        cell = modetable.Cell.parse(text)
        raises = cell.raises
        with mock.patch.object(mixin.LOG, 'warning') as warning:
            if raises:
                try:
                    action()
                except Exception as error:  # noqa: BLE001 - named below
                    self.assertEqual(raises, type(error).__name__)
                else:
                    self.fail('%s not raised' % raises)
            else:
                action()
        self.assertEqual(cell.warnings, warning.call_count, text)
        if cell.warnings and cell.read_only:
            self.assertIn('holds status', warning.call_args[0][0])
        elif cell.warnings:
            message = warning.call_args[0][0]
            self.assertIn('enforcement = warn', message)
            self.assertEqual(cell.written, 'Written anyway' in message,
                             message)
        if 'id' not in migration:
            created = objects.MigrationList.get_by_filters(
                self.context, {}).objects
            self.assertEqual(0 if raises else 1, len(created))
            return
        rows = objects.MigrationList.get_by_filters(
            self.context, {'uuid': migration.uuid}).objects
        if stored_before is None and not rows:
            return  # the row is gone
        self.assertEqual(stored_before if raises else target,
                         rows[0].status, text)

    def test_every_cell(self):
        cells = 0
        for row in modetable.rows():
            case = self.CASES[row['id']]
            for mode in ('strict', 'warn', 'off'):
                with contextlib.ExitStack() as stack:
                    database = base.Database()
                    database.setUp()
                    stack.callback(database.cleanUp)
                    try:
                        self._run_cell(case, mode, row[mode], stack)
                    except Exception as error:
                        raise AssertionError('%s, %s: %s' % (
                            row['case'], mode, error)) from error
                cells += 1
        self.assertEqual(51, cells)


class TestObservers(base.TestCase):

    def setUp(self):
        super().setUp()
        self.moves = []
        observers.add(self.moves.append)
        self.addCleanup(observers.remove, self.moves.append)

    def test_every_checked_move_is_reported(self):
        migration = self.walk(self.create_migration('evacuation'),
                              'pre-migrating')
        stale = objects.Migration.get_by_id(self.context, migration.id)
        self.walk(migration, 'completed')
        stale.status = 'done'
        stale.save()
        migration.status = 'pre-migrating'
        self.assertRaises(exceptions.InvalidMigrationStatusTransition,
                          migration.save)
        self.assertEqual(
            [('create', None, None, 'accepted', 'create'),
             ('save', 'accepted', 'accepted', 'pre-migrating', 'lifecycle'),
             ('save', 'pre-migrating', 'pre-migrating', 'completed',
              'lifecycle'),
             ('save', 'pre-migrating', 'completed', 'done', 'race'),
             ('save', 'completed', 'completed', 'pre-migrating',
              'refused')],
            [(m.operation, m.seen, m.persisted, m.target, m.outcome)
             for m in self.moves])
        self.assertEqual({migration.uuid}, {m.migration for m in self.moves})
        self.assertEqual({'evacuation'},
                         {m.migration_type for m in self.moves})


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


class TestEnforcementOption(base.TestCase):

    def test_warn_is_the_default(self):
        # base.TestCase sets strict; the options' defaults are the README's.
        from nova_migration_sm import conf
        self.assertEqual({'enforcement': 'warn', 'detect_stale_writes': False},
                         {opt.dest: opt.default for opt in conf.OPTS})

    def test_bad_enforcement_value_is_refused(self):
        self.assertRaises(ValueError, self.set_enforcement, 'lenient')


class TestNeverCreated(base.TestCase):

    def test_save_without_id_is_the_objects_own_error(self):
        # Nothing to check: the object's own save() fails (or a test's stub
        # of it runs), exactly as without the state machine.
        migration = objects.Migration(self.context, status='finished')
        with mock.patch.object(migration_objects.Nova34Migration, 'save',
                               side_effect=RuntimeError('stubbed')) as save:
            self.assertRaisesRegex(RuntimeError, 'stubbed', migration.save)
        save.assert_called_once_with()
