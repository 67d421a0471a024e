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

"""Whole migration flows through the conductor and a real database.

Each test replays one Nova path; each step is commented with the Nova
34.0.0 code that makes it, and :func:`fixtures.walk` checks that the move
is that code's (``machines.where``) and what the database then holds.
"""

from oslo_db.sqlalchemy import test_fixtures

from nova_migration_sm import exceptions
from nova_migration_sm.reference.db import api as db
from nova_migration_sm.reference import objects
from nova_migration_sm.statuses import MigrationStatus as S
from nova_migration_sm.statuses import MigrationType as T
from tests.functional import fixtures

load_tests = test_fixtures.optimize_module_test_loader()


class TestColdFlows(fixtures.FunctionalTestCase):
    """Resize and cold migration inside one cell."""

    scenarios = fixtures.scenarios()

    def _prepared(self, migration_type):
        # conductor/tasks/migrate.py:151 MigrationTask._preallocate_migration
        migration = fixtures.new_migration(self.context, migration_type)
        fixtures.walk(self, migration, [
            S.MIGRATING,        # compute/manager.py:6360 _resize_instance
            S.POST_MIGRATING,   # compute/manager.py:6389 _resize_instance
            S.FINISHED,         # compute/manager.py:6631 _finish_resize
        ])
        return migration

    def test_resize_confirmed(self):
        migration = self._prepared(T.RESIZE)
        fixtures.walk(self, migration, [
            S.CONFIRMING,   # compute/api.py:4145 API.confirm_resize
            S.CONFIRMED,    # resource_tracker.py:633 drop_move_claim_at_source
        ])
        self.figures(flows=1)

    def test_resize_reverted(self):
        migration = self._prepared(T.RESIZE)
        fixtures.walk(self, migration, [
            S.REVERTING,    # compute/api.py:4073 API.revert_resize
            S.REVERTED,     # resource_tracker.py:654 drop_move_claim_at_dest
        ])
        self.figures(flows=1)

    def test_cold_migrate_confirmed_by_server_delete(self):
        migration = self._prepared(T.MIGRATION)
        # compute/api.py:2651-2685 server deleted in VERIFY_RESIZE
        fixtures.walk(self, migration, [S.CONFIRMED])
        self.figures(flows=1)

    def test_cold_migrate_error_then_orphan_cleanup(self):
        migration = fixtures.new_migration(self.context, T.MIGRATION)
        fixtures.walk(self, migration, [
            S.MIGRATING,    # compute/manager.py:6360 _resize_instance
            S.ERROR,        # compute/manager.py:124 errors_out_migration
            S.FAILED,       # compute/manager.py:11837 orphan cleanup
        ])
        self.figures(flows=1)

    def test_refused_move_reaches_caller_as_same_class(self):
        migration = self._prepared(T.RESIZE)
        fixtures.walk(self, migration, [S.CONFIRMING, S.CONFIRMED])
        migration.status = S.MIGRATING
        error = self.assertRaises(
            exceptions.InvalidMigrationStatusTransition, migration.save)
        self.assertIs(exceptions.InvalidMigrationStatusTransition,
                      type(error))
        self.assertEqual(S.CONFIRMED, error.kwargs['from_status'])
        # Unchanged on both sides: the pending change stays, the row too.
        self.assertEqual(S.MIGRATING, migration.status)
        self.assertEqual({'status'}, migration.obj_what_changed())
        self.assertEqual(S.CONFIRMED, objects.Migration.get_by_uuid(
            self.context, migration.uuid).status)

    def test_stale_writer_gets_conflict_as_same_class(self):
        migration = self._prepared(T.RESIZE)
        stale = objects.Migration.get_by_uuid(self.context, migration.uuid)
        # compute/api.py:4145 confirm_resize wins...
        fixtures.walk(self, migration, [S.CONFIRMING])
        # ...while compute/api.py:4073 revert_resize read the row before.
        stale.status = S.REVERTING
        error = self.assertRaises(exceptions.MigrationStatusConflict,
                                  stale.save)
        self.assertIs(exceptions.MigrationStatusConflict, type(error))
        self.assertEqual((S.FINISHED, S.CONFIRMING, S.REVERTING),
                         (error.kwargs['expected'], error.kwargs['actual'],
                          error.kwargs['to_status']))
        self.assertEqual(S.REVERTING, stale.status)
        self.assertEqual(S.CONFIRMING, objects.Migration.get_by_uuid(
            self.context, migration.uuid).status)

    def test_soft_deleted_row_is_still_saved(self):
        # compute/api.py:2651 a server deleted mid-resize: Nova soft-deletes
        # its migrations and still updates them.
        migration = self._prepared(T.RESIZE)
        with self.conductor.serving():
            db.migration_soft_delete(self.context, migration.id)
        fixtures.walk(self, migration, [S.CONFIRMED])
        self.assertTrue(objects.Migration.get_by_uuid(
            self.context, migration.uuid).deleted)


class TestCrossCellFlows(fixtures.FunctionalTestCase):
    """Cross-cell resize: a source row and its copy in the target cell."""

    scenarios = fixtures.scenarios()
    CELLS = ('cell1', 'cell2')

    def setUp(self):
        super().setUp()
        self.source_ctx = self.database.add_cell('cell1')
        self.target_ctx = self.database.add_cell('cell2')

    def _copy_to_target(self, source):
        # conductor/tasks/cross_cell_migrate.py:105-107
        # TargetDBSetupTask._copy_migrations runs in the conductor.
        copy = objects.Migration(self.target_ctx)
        for name in source.fields:
            if name not in ('id', 'created_at', 'updated_at') and \
                    source.obj_attr_is_set(name):
                setattr(copy, name, getattr(source, name))
        with self.conductor.serving():
            copy.create_copy()
        return copy

    def _started(self, migration_type):
        # conductor/tasks/migrate.py:151 the row in the source cell
        source = fixtures.new_migration(self.source_ctx, migration_type,
                                        cross_cell_move=True)
        target = self._copy_to_target(source)
        self.assertEqual(source.uuid, target.uuid)
        fixtures.walk(self, source, [
            S.MIGRATING,        # S: manager.py:6261 prep_..._at_source
            S.POST_MIGRATING,   # S: manager.py:6311 prep_..._at_source
        ])
        # T: compute/manager.py:6809 _finish_snapshot_based_resize_at_dest
        fixtures.walk(self, target, [S.FINISHED])
        return source, target

    def test_rows_live_in_their_own_cell(self):
        source, target = self._started(T.RESIZE)
        self.assertEqual(S.POST_MIGRATING, objects.Migration.get_by_uuid(
            self.source_ctx, source.uuid).status)
        self.assertEqual(S.FINISHED, objects.Migration.get_by_uuid(
            self.target_ctx, target.uuid).status)
        self.assertRaises(exceptions.MigrationNotFound,
                          objects.Migration.get_by_uuid, self.context,
                          source.uuid)

    def test_cross_cell_resize_confirmed(self):
        source, target = self._started(T.RESIZE)
        fixtures.walk(self, target, [
            S.CONFIRMING,   # T: compute/api.py:4145 API.confirm_resize
            S.CONFIRMED,    # T: cross_cell_migrate.py:994 _finish_confirm..
        ])
        # S: resource_tracker.py:633 via manager.py:5249 confirm at source
        fixtures.walk(self, source, [S.CONFIRMED])
        self.figures(flows=1)

    def test_cross_cell_migrate_reverted(self):
        source, target = self._started(T.MIGRATION)
        fixtures.walk(self, target, [
            S.REVERTING,    # T: compute/api.py:4073 API.revert_resize
            S.REVERTED,     # T: manager.py:5433 _revert_..._at_dest
        ])
        fixtures.walk(self, source, [
            S.REVERTING,    # S: cross_cell_migrate.py:1288-1292 copied
            S.REVERTED,     # S: manager.py:5602 _finish_revert_..._at_source
        ])
        self.figures(flows=1)

    def test_earlier_rows_are_copied_in_their_status(self):
        # An older, confirmed resize of the instance is copied as it is.
        older = fixtures.new_migration(self.source_ctx, T.RESIZE)
        with self.conductor.serving():
            older.status = S.CONFIRMED
            # NOTE: skip the middle: the conductor may write any status of
            # the type with enforcement off, as a data fix would.
            self.flags.config(enforcement='off',
                              group='migration_state_machine')
            older.save()
            self.flags.config(enforcement='strict',
                              group='migration_state_machine')
        copy = self._copy_to_target(older)
        self.assertEqual(S.CONFIRMED, objects.Migration.get_by_uuid(
            self.target_ctx, copy.uuid).status)

    def test_copy_is_refused_over_rpc(self):
        source = fixtures.new_migration(self.source_ctx, T.RESIZE,
                                        cross_cell_move=True)
        copy = objects.Migration(self.target_ctx, uuid=source.uuid,
                                 migration_type=T.RESIZE,
                                 cross_cell_move=True,
                                 status=S.PRE_MIGRATING)
        self.assertRaises(exceptions.MigrationCopyError, copy.create_copy)


class TestLiveMigrationFlows(fixtures.FunctionalTestCase):
    """Live migration: queue, abort, post-copy, rollback, errors."""

    scenarios = fixtures.scenarios()

    def _queued(self):
        # conductor/manager.py:518 ComputeTaskManager._live_migrate
        migration = fixtures.new_migration(self.context, T.LIVE_MIGRATION)
        # compute/manager.py:9481 ComputeManager.live_migration
        fixtures.walk(self, migration, [S.QUEUED])
        return migration

    def _running(self):
        migration = self._queued()
        fixtures.walk(self, migration, [
            S.PREPARING,    # compute/manager.py:9401 _do_live_migration
            S.RUNNING,      # compute/manager.py:9433 _do_live_migration
        ])
        return migration

    def test_post_copy_completed(self):
        migration = self._running()
        fixtures.walk(self, migration, [
            S.RUNNING_POST_COPY,  # virt/libvirt/migration.py:788
            S.COMPLETED,          # compute/manager.py:9917 _post_live_mig..
        ])
        self.figures(flows=1)

    def test_abort_while_queued(self):
        # compute/manager.py:9609 live_migration_abort
        fixtures.walk(self, self._queued(), [S.CANCELLED])
        self.figures(flows=1)

    def test_abort_while_running(self):
        # compute/manager.py:10272 _rollback_live_migration (job cancelled)
        fixtures.walk(self, self._running(), [S.CANCELLED])
        self.figures(flows=1)

    def test_rollback_after_driver_failure(self):
        # compute/manager.py:10272 _rollback_live_migration
        fixtures.walk(self, self._running(), [S.FAILED])
        self.figures(flows=1)

    def test_pre_live_migration_error_then_failed(self):
        migration = self._queued()
        fixtures.walk(self, migration, [
            S.PREPARING,    # compute/manager.py:9401
            S.ERROR,        # compute/manager.py:9275 _cleanup_pre_live_mig..
            S.FAILED,       # compute/manager.py:10272 _rollback_live_mig..
        ])
        self.figures(flows=1)

    def test_max_retries_failed_then_error(self):
        migration = fixtures.new_migration(self.context, T.LIVE_MIGRATION)
        fixtures.walk(self, migration, [
            S.FAILED,   # conductor/tasks/live_migrate.py:609 max retries
            S.ERROR,    # conductor/manager.py:550 _live_migrate
        ])
        self.figures(flows=1)

    def test_post_live_migration_raised_after_completed(self):
        migration = self._running()
        fixtures.walk(self, migration, [
            S.COMPLETED,    # compute/manager.py:9917
            S.ERROR,        # compute/manager.py:9457 _do_live_migration
        ])
        self.figures(flows=1)


class TestEvacuationFlows(fixtures.FunctionalTestCase):
    """Evacuation, including the source compute coming back."""

    scenarios = fixtures.scenarios()

    def _claimed(self):
        # compute/api.py:5754 API.evacuate
        migration = fixtures.new_migration(self.context, T.EVACUATION)
        # compute/resource_tracker.py:454 _claim_existing_migration
        fixtures.walk(self, migration, [S.PRE_MIGRATING])
        return migration

    def test_done_then_source_restarts(self):
        fixtures.walk(self, self._claimed(), [
            S.DONE,         # resource_tracker.py:2167 finish_evacuation
            S.COMPLETED,    # compute/manager.py:931 _destroy_evacuated..
        ])
        self.figures(flows=1)

    def test_source_restarts_before_done(self):
        # compute/manager.py:931 _destroy_evacuated_instances
        fixtures.walk(self, self._claimed(), [S.COMPLETED])
        self.figures(flows=1)

    def test_rebuild_failed(self):
        # compute/manager.py:4031 ComputeManager.rebuild_instance
        fixtures.walk(self, self._claimed(), [S.FAILED])
        self.figures(flows=1)

    def test_error_then_orphan_cleanup(self):
        migration = fixtures.new_migration(self.context, T.EVACUATION)
        fixtures.walk(self, migration, [
            S.ERROR,    # conductor/manager.py:1280 rebuild_instance
            S.FAILED,   # compute/manager.py:11837 orphan cleanup
        ])
        self.figures(flows=1)

    def _race(self):
        """Bug 1764883: finish_evacuation read the row before the source.

        The source compute restarted and marked it completed meanwhile.
        """
        migration = self._claimed()
        finishing = objects.Migration.get_by_uuid(self.context,
                                                  migration.uuid)
        # compute/manager.py:931 the source restarts first
        fixtures.walk(self, migration, [S.COMPLETED])
        # resource_tracker.py:2167 finish_evacuation, with its stale view
        finishing.status = S.DONE
        return migration, finishing

    def test_nova_race_is_a_conflict_when_stale_writes_are_refused(self):
        self.flags.config(detect_stale_writes=True,
                          group='migration_state_machine')
        migration, finishing = self._race()
        error = self.assertRaises(exceptions.MigrationStatusConflict,
                                  finishing.save)
        self.assertEqual(S.COMPLETED, error.kwargs['actual'])
        self.assertEqual(S.COMPLETED, objects.Migration.get_by_uuid(
            self.context, migration.uuid).status)

    def test_nova_race_is_a_declared_race_by_default(self):
        migration, finishing = self._race()
        finishing.save()
        self.assertEqual(S.DONE, objects.Migration.get_by_uuid(
            self.context, migration.uuid).status)
        self.figures(flows=1)


class TestConductorProcess(fixtures.FunctionalTestCase):
    """The same flow through a conductor in its own process."""

    scenarios = fixtures.scenarios()

    def setUp(self):
        super().setUp()
        fixtures.check_transport(self, needed=True)
        process = self.useFixture(fixtures.ConductorProcess(
            self, self.database.url))
        self.useFixture(fixtures.fixtures.MonkeyPatch(
            'nova_migration_sm.reference.objects.base.NovaObject.'
            'indirection_api',
            process.api))

    def test_live_migration_and_refusal_in_another_process(self):
        migration = fixtures.new_migration(self.context, T.LIVE_MIGRATION)
        fixtures.walk(self, migration, [
            S.QUEUED,       # compute/manager.py:9481 live_migration
            S.PREPARING,    # compute/manager.py:9401 _do_live_migration
            S.RUNNING,      # compute/manager.py:9433 _do_live_migration
            S.COMPLETED,    # compute/manager.py:9917 _post_live_migration
        ])
        migration.status = S.QUEUED
        self.assertRaises(exceptions.InvalidMigrationStatusTransition,
                          migration.save)
        self.assertEqual(S.COMPLETED, objects.Migration.get_by_uuid(
            self.context, migration.uuid).status)
        self.figures(flows=1)
