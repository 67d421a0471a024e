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

"""The status-literal analysis (M301-M304) on real Nova 34.0.0 snippets.

Each snippet is copied from Nova 34.0.0's sdist (file:line in the test's
docstring); the expected findings are written by hand: the line within
the snippet, the code, and the literal.
"""

import ast
import textwrap

import testtools

from nova_migration_sm.hacking import analysis
from nova_migration_sm.hacking import checks


def _found(source: str) -> list[tuple[int, str, str]]:
    tree = ast.parse(textwrap.dedent(source).lstrip("\n"))
    return [(f.line, f.code, f.value) for f in analysis.find(tree)]


class TestFound(testtools.TestCase):
    """Literals that are a migration's status, one case per rule."""

    def test_written_to_the_status(self):
        # nova/compute/manager.py:6260-6262
        self.assertEqual([(2, 'M302', 'migrating')], _found("""
            # Update the migration status from "pre-migrating" to "migrating".
            migration.status = 'migrating'
            migration.save()
            """))

    def test_compared_in_a_tuple(self):
        # nova/compute/manager.py:4980
        self.assertEqual(
            [(1, 'M301', 'finished'), (1, 'M301', 'confirming')],
            _found("if migration.status not in ('finished', 'confirming'):"
                   " pass"))

    def test_status_argument_of_a_status_setter(self):
        # nova/compute/manager.py:9481
        self.assertEqual([(1, 'M302', 'queued')], _found(
            "self._set_migration_status(migration, 'queued')"))

    def test_keyword_of_a_migration_constructor(self):
        # nova/compute/api.py:5752-5755
        self.assertEqual([(3, 'M302', 'accepted')], _found("""
            migration = objects.Migration(context,
                source_compute=instance.host, source_node=instance.node,
                instance_uuid=instance.uuid, status='accepted',
                migration_type=fields_obj.MigrationType.EVACUATION)
            """))

    def test_migration_status_keyword_and_default(self):
        # nova/virt/libvirt/driver.py:11871-11872
        self.assertEqual([(2, 'M302', 'cancelled')], _found("""
            recover_method(context, instance, dest, migrate_data,
                           migration_status='cancelled')
            """))
        # nova/compute/manager.py:10112-10116
        self.assertEqual([(2, 'M302', 'failed')], _found("""
            def _rollback_live_migration(self, context, instance, dest,
                    migrate_data=None, migration_status='failed',
                    source_bdms=None, pre_live_migration=False):
                pass
            """))

    def test_filter_dict_with_a_migration_key(self):
        # nova/compute/manager.py:838-853 (comments cut)
        self.assertEqual(
            [(3, 'M303', 'accepted'), (3, 'M303', 'pre-migrating'),
             (3, 'M303', 'done')], _found("""
            filters = {
                'source_compute': self.host,
                'status': ['accepted', 'pre-migrating', 'done'],
                'migration_type': fields.MigrationType.EVACUATION,
            }
            """))

    def test_filter_dict_passed_to_a_migration_query(self):
        # nova/objects/share_mapping.py:228-231
        self.assertEqual(
            [(4, 'M303', 'confirmed'), (4, 'M303', 'reverted'),
             (4, 'M303', 'error')], _found("""
            for migration in db.migration_get_all_by_filters(
                    context,
                    {'host': host,
                     'status': ['confirmed', 'reverted', 'error']}):
                instance_uuids.add(migration.instance_uuid)
            """))

    def test_in_on_the_model_column(self):
        # nova/db/main/api.py:3353-3356
        self.assertEqual(
            [(3, 'M303', 'queued'), (3, 'M303', 'preparing'),
             (4, 'M303', 'running'), (5, 'M303', 'post-migrating')],
            _found("""
            query = model_query(context, models.Migration).\\
                    filter_by(instance_uuid=instance_uuid).\\
                    filter(models.Migration.status.in_(['queued', 'preparing',
                                                        'running',
                                                        'post-migrating']))
            """))

    def test_filter_by_status_of_a_migration_query(self):
        # nova/db/main/api.py:3292-3296
        self.assertEqual([(4, 'M303', 'finished')], _found("""
            return model_query(context, models.Migration,
                               read_deleted="yes").\\
                     filter(models.Migration.updated_at <= confirm_window).\\
                     filter_by(status="finished").\\
                     filter_by(dest_compute=dest_compute).\\
                     all()
            """))

    def test_status_argument_of_get_by_instance_and_status(self):
        # nova/compute/api.py:4011-4012
        self.assertEqual([(2, 'M303', 'finished')], _found("""
            migration = objects.Migration.get_by_instance_and_status(
                elevated, instance.uuid, 'finished')
            """))

    def test_loop_over_statuses_into_a_status_argument(self):
        # nova/compute/api.py:2657-2660
        self.assertEqual(
            [(1, 'M303', 'finished'), (1, 'M303', 'confirming')], _found("""
            for status in ('finished', 'confirming'):
                migration = objects.Migration.get_by_instance_and_status(
                        context.elevated(), instance.uuid, status)
            """))

    def test_list_extended_into_a_compared_list(self):
        # nova/compute/api.py:5692-5704 (one of the six the first check
        # missed)
        self.assertEqual(
            [(1, 'M301', 'running'), (2, 'M301', 'queued'),
             (2, 'M301', 'preparing')], _found("""
            allowed_states = ['running']
            queued_states = ['queued', 'preparing']
            if support_abort_in_queue:
                allowed_states.extend(queued_states)
            if migration.status not in allowed_states:
                raise exception.InvalidMigrationState()
            """))

    def test_list_beside_a_migration_only_status(self):
        # nova/api/openstack/compute/migrations.py:52-54 (three of the six)
        self.assertEqual(
            [(1, 'M304', 'queued'), (1, 'M304', 'preparing'),
             (2, 'M304', 'running'), (2, 'M304', 'post-migrating')],
            _found("""
            live_migration_in_progress = ['queued', 'preparing',
                                          'running', 'post-migrating']
            """))

    def test_dict_value_looked_up_into_a_status_argument(self):
        # nova/compute/manager.py:1350-1356, 1396-1398 (one of the six)
        self.assertEqual(
            [(3, 'M303', 'running (post-copy)'), (4, 'M303', 'running')],
            _found("""
            migrate_finish_statuses = {
                virtevent.EVENT_LIFECYCLE_POSTCOPY_STARTED:
                    'running (post-copy)',
                virtevent.EVENT_LIFECYCLE_MIGRATION_COMPLETED: 'running'
            }
            status = migrate_finish_statuses[event_transition]
            migration = objects.Migration.get_by_instance_and_status(
                        context, instance.uuid, status)
            """))

    def test_migration_only_status_anywhere(self):
        # nova/virt/libvirt/migration.py:684
        self.assertEqual([(1, 'M301', 'running (post-copy)')], _found(
            "if migration_status == 'running (post-copy)': pass"))


class TestFoundInTests(testtools.TestCase):
    """Nova's tests spell statuses in their own ways."""

    def test_helper_whose_parameter_sets_the_status(self):
        # nova/tests/unit/compute/test_api.py:6625-6629, 6641
        self.assertEqual([(6, 'M302', 'running')], _found("""
            def _get_migration(self, migration_id, status, migration_type):
                migration = objects.Migration()
                migration.id = migration_id
                migration.status = status
                return migration
            migration = self._get_migration(21, 'running', 'live-migration')
            """))

    def test_default_of_such_a_parameter(self):
        # nova/tests/unit/db/main/test_api.py:964, 978-989 (cut)
        self.assertEqual([(1, 'M303', 'reverted'), (2, 'M303', 'migrating')],
                         _found("""
            self._create(status='reverted')
            def _create(self, status='migrating', source_compute='host1'):
                values = {'status': status, 'source_compute': source_compute}
                return db.migration_create(self.ctxt, values)
            """))

    def test_a_mocks_call_assertion(self):
        # nova/tests/unit/objects/test_migration.py:79-89
        self.assertEqual([(5, 'M303', 'migrating'), (7, 'M303', 'migrating')],
                         _found("""
            @mock.patch.object(db, 'migration_get_by_instance_and_status')
            def test_get_by_instance_and_status(self, mock_get):
                fake_migration = fake_db_migration()
                mig = migration.Migration.get_by_instance_and_status(
                    ctxt, fake_migration['id'], 'migrating')
                mock_get.assert_called_once_with(ctxt, fake_migration['id'],
                                                 'migrating')
            """))

    def test_functional_helpers(self):
        # nova/tests/functional/test_servers.py:3967, 2485-2486, 2498
        # nova/tests/functional/regressions/test_bug_1889108.py:85
        self.assertEqual(
            [(1, 'M301', 'running'), (3, 'M301', 'error'),
             (4, 'M301', 'error'), (5, 'M301', 'failed')], _found("""
            migration = self._wait_for_migration_status(server, ['running'])
            self._evacuate_server(server, expected_state='ERROR',
                expected_migration_status='error')
            self.assertEqual('error', migrations[0]['status'])
            self._live_migrate(server, 'failed')
            """))

    def test_through_assert_raises(self):
        # nova/tests/functional/libvirt/test_pci_sriov_servers.py:723-726
        self.assertEqual([(4, 'M301', 'completed')], _found("""
            ex = self.assertRaises(
                client.OpenStackApiException,
                self._live_migrate,
                server, 'completed')
            """))

    def test_a_migration_row_dict(self):
        # nova/tests/unit/test_fixtures.py:404-414 (cut)
        self.assertEqual([(3, 'M303', 'migrating')], _found("""
            valid_migration_kwargs = {
                "source_compute": "compute-source",
                "status": "migrating",
                "migration_type": "resize",
            }
            """))

    def test_mock_standing_for_a_migration(self):
        # nova/tests/unit/scheduler/client/test_report.py:3323-3324
        self.assertEqual([(1, 'M302', 'done'), (2, 'M302', 'done')], _found("""
            migrations = [mock.Mock(instance_uuid=uuids.inst1, status='done'),
                          mock.Mock(instance_uuid=uuids.inst2, status='done')]
            """))


class TestLeftAlone(testtools.TestCase):
    """Strings that spell a status but are not a migration's."""

    def test_server_vm_state(self):
        # nova/objects/fields.py:1044 (InstanceState)
        self.assertEqual([], _found("ERROR = 'error'"))
        # nova/api/openstack/compute/admin_actions.py:84-86
        self.assertEqual([], _found("""
            state_map = {'active': vm_states.ACTIVE,
                         'error': vm_states.ERROR}
            """))
        # nova/tests/functional/api_sample_tests/test_servers.py:1195
        self.assertEqual([], _found("subs = {'id': uuid, 'status': 'error'}"))

    def test_volume_status_and_cinder_migration_status(self):
        # nova/tests/unit/volume/test_cinder.py:1084-1085
        self.assertEqual([], _found("""
            mock_cinderclient.return_value.volume_snapshots.update_snapshot_status(
                'snapshot_id', {'status': 'error', 'progress': '90%'})
            """))
        # nova/compute/manager.py:8239
        self.assertEqual([], _found(
            "is_cinder_migration = old_volume['migration_status'] == "
            "'migrating'"))
        # nova/tests/unit/api/openstack/compute/test_volume_attachments.py:
        # 60-76 (cut): a local named like Nova's, feeding Cinder's key
        self.assertEqual([], _found("""
            def fake_get_volume(self, context, id):
                migration_status = None
                if id == uuids.source_swap_vol:
                    migration_status = 'migrating'
                return {'id': id, 'migration_status': migration_status}
            """))
        # nova/tests/fixtures/cinder.py:318
        self.assertEqual([], _found(
            "volume['migration_status'] = 'migrating'"))

    def test_snapshot_status(self):
        # nova/virt/libvirt/driver.py:3900-3901
        self.assertEqual([], _found("""
            self._volume_api.update_snapshot_status(
                context, snapshot_id, 'error')
            """))

    def test_instance_action_event_result(self):
        # nova/db/main/api.py:4027
        self.assertEqual([], _found(
            "if values['result'].lower() == 'error': pass"))

    def test_external_event_status(self):
        # nova/compute/manager.py:498
        self.assertEqual([], _found(
            "if actual_event.status == 'completed': pass"))
        # nova/api/openstack/compute/server_external_events.py:116
        self.assertEqual([], _found("_event['status'] = 'failed'"))
        # nova/objects/external_event.py:47
        self.assertEqual([], _found(
            "EVENT_STATUSES = ['failed', 'completed', 'in-progress']"))

    def test_image_status(self):
        # nova/tests/unit/image/test_glance.py:131-135 (cut)
        self.assertEqual([], _found("""
            fixture = {'id': 1, 'name': 'image1', 'status': 'queued'}
            """))
        # nova/api/openstack/compute/views/images.py:153-155
        self.assertEqual([], _found("status_mapping = {'queued': 'SAVING'}"))

    def test_task_state_and_power_state(self):
        # nova/objects/fields.py:1089 (InstanceTaskState) and :1115
        self.assertEqual([], _found('MIGRATING = "migrating"'))
        self.assertEqual([], _found("RUNNING = 'running'"))
        # nova/tests/unit/compute/test_compute_mgr.py:2303
        self.assertEqual([], _found(
            "save.assert_called_once_with(expected_task_state=['migrating'])"
        ))

    def test_share_mapping_and_aggregate_cache_status(self):
        # nova/api/validation/parameter_types.py:381-382 (share mapping)
        self.assertEqual([], _found("""
            share_status = {'type': 'string', 'enum': [
                'active', 'inactive', 'attaching', 'detaching', 'error']}
            """))
        # nova/conductor/manager.py:2133-2144 (aggregate image cache)
        self.assertEqual([], _found("""
            if status == 'error':
                host_stats['error'] += 1
            host_stats['completed'] += 1
            """))

    def test_port_and_log_arguments(self):
        # nova/compute/manager.py:8378-8380
        self.assertEqual([], _found("""
            LOG.warning('Failed to unbind port %(port_id)s: %(error)s',
                        {'port_id': port_id, 'error': ex},
                        instance=instance)
            """))

    def test_libvirt_job_state(self):
        # nova/tests/unit/compute/test_compute.py:6970-6975 (cut)
        self.assertEqual([], _found("""
            migrate_data = {'state_description': 'migrating'}
            """))

    def test_status_of_a_migrations_instance(self):
        self.assertEqual([], _found(
            "ok = migration.instance.status == 'error'"))


class TestChecker(testtools.TestCase):

    def test_message_names_the_constant(self):
        tree = ast.parse("ok = migration.status != 'running'")
        (line, col, message, kind), = (
            checks.MigrationStatusLiteralChecker(tree).run())
        self.assertEqual((1, 25), (line, col))
        self.assertEqual("M301 migration status literal 'running' compared "
                         "with a status; use MigrationStatus.RUNNING",
                         message)
        self.assertIs(checks.MigrationStatusLiteralChecker, kind)

    def test_a_literal_is_reported_once(self):
        self.assertEqual([(1, 'M301', 'pre-migrating')],
                         _found("ok = migration.status == 'pre-migrating'"))
