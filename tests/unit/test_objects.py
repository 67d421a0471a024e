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

"""The reference Migration: fingerprints, backports, Nova primitives."""

import copy
from unittest import mock

from oslo_versionedobjects import exception as ovo_exception
from oslo_versionedobjects import fixture

from nova_migration_sm import exceptions
from nova_migration_sm import fields as sm_fields
from nova_migration_sm.reference import objects
from nova_migration_sm.reference.objects import migration as migration_obj
from tests.unit import base

OBJECT_DATA = {
    'Migration': '1.9-6c78c867caebed467bda7c4f9d021e31',
    'MigrationList': '1.6-36793f8d65bae421bd5564d09a4de7be',
}
NOVA_34_MIGRATION_1_8 = '1.8-6ed577d80e71e9b9d88b8cf358af3781'
"""``nova/tests/unit/objects/test_objects.py:1136`` in Nova 34.0.0."""

# What each version lacks compared with the next one
# (nova/objects/migration.py:53-61 and :110-136).
ADDED_IN = {
    (1, 2): {'migration_type', 'hidden'},
    (1, 4): {'memory_total', 'memory_processed', 'memory_remaining',
             'disk_total', 'disk_processed', 'disk_remaining'},
    (1, 5): {'uuid'},
    (1, 6): {'cross_cell_move'},
    (1, 7): {'user_id', 'project_id'},
    (1, 8): {'dest_compute_id'},
}

# A primitive of Nova 34.0.0's own Migration 1.8, as its
# obj_to_primitive() writes it.
NOVA_PRIMITIVE = {
    'nova_object.name': 'Migration',
    'nova_object.namespace': 'nova',
    'nova_object.version': '1.8',
    'nova_object.data': {
        'id': 7, 'uuid': '3f6b2a8e-6c1d-4c0a-9f4e-2b1f7d9c8a11',
        'source_compute': 'src', 'dest_compute': 'dst',
        'source_node': 'src-node', 'dest_node': 'dst-node',
        'dest_compute_id': 2, 'dest_host': '192.0.2.9',
        'old_instance_type_id': 1, 'new_instance_type_id': 2,
        'instance_uuid': '9d4c0e1a-0b7e-4d3f-8a55-1c2b3d4e5f60',
        'status': 'finished', 'migration_type': 'resize', 'hidden': False,
        'memory_total': None, 'memory_processed': None,
        'memory_remaining': None, 'disk_total': None,
        'disk_processed': None, 'disk_remaining': None,
        'cross_cell_move': False, 'user_id': 'u', 'project_id': 'p',
        'created_at': '2026-11-25T10:00:00Z', 'updated_at': None,
        'deleted_at': None, 'deleted': False},
    'nova_object.changes': ['status'],
}


class TestVersions(base.TestCase):

    def test_hashes(self):
        checker = fixture.ObjectVersionChecker(
            {name: [getattr(objects, name)] for name in OBJECT_DATA})
        expected, actual = checker.test_hashes(OBJECT_DATA)
        self.assertEqual(expected, actual,
                         'Bump the version and update OBJECT_DATA')

    def test_nova_34_replica_has_novas_fingerprint(self):
        checker = fixture.ObjectVersionChecker(
            {'Migration': [migration_obj.Nova34Migration]})
        self.assertEqual({'Migration': NOVA_34_MIGRATION_1_8},
                         checker.get_hashes())

    def test_only_status_changed_from_1_8(self):
        old = migration_obj.Nova34Migration.fields
        new = objects.Migration.fields
        self.assertEqual(set(old), set(new))
        self.assertEqual(['status'], [name for name in new
                                      if repr(new[name]) != repr(old[name])])

    def test_compatibility_routines(self):
        checker = fixture.ObjectVersionChecker(
            {'Migration': [objects.Migration]})
        checker.test_compatibility_routines(use_manifest=True)


class TestBackports(base.TestCase):

    def _full(self):
        migration = self.create_migration(
            'live-migration', dest_node='dst-node', dest_compute_id=3,
            memory_total=1, memory_processed=1, memory_remaining=0,
            disk_total=1, disk_processed=1, disk_remaining=0,
            cross_cell_move=False, user_id='u', project_id='p')
        return migration

    def test_backport_to_every_version_drops_what_it_lacks(self):
        migration = self._full()
        full = set(migration.obj_to_primitive()['nova_object.data'])
        for minor in range(0, 9):
            version = '1.%d' % minor
            data = migration.obj_to_primitive(
                target_version=version)['nova_object.data']
            dropped = set().union(*(fields for added, fields in
                                    ADDED_IN.items() if (1, minor) < added))
            self.assertEqual(full - dropped, set(data), version)
            self.assertEqual('accepted', data['status'])

    def test_1_8_primitive_loads_in_nova_34_replica_shape(self):
        primitive = self._full().obj_to_primitive(target_version='1.8')
        self.assertEqual('1.8', primitive['nova_object.version'])
        self.assertEqual('Migration', primitive['nova_object.name'])

    def test_nova_primitive_loads_as_1_9(self):
        migration = objects.Migration.obj_from_primitive(
            copy.deepcopy(NOVA_PRIMITIVE), self.context)
        # The 1.9 class (its field checks the status); o.vo remembers the
        # sender's version so a reply is backported to it.
        self.assertIsInstance(migration, objects.Migration)
        self.assertEqual('1.9', objects.Migration.VERSION)
        self.assertEqual('1.8', migration.VERSION)
        self.assertEqual('finished', migration.status)
        self.assertEqual({'status'}, migration.obj_what_changed())

    def test_nova_primitive_with_unknown_status_loads_as_it_is(self):
        primitive = copy.deepcopy(NOVA_PRIMITIVE)
        primitive['nova_object.data']['status'] = 'faking'
        loaded = objects.Migration.obj_from_primitive(primitive,
                                                      self.context)
        self.assertEqual('faking', loaded.status)
        self.assertEqual('faking', loaded.obj_to_primitive(
            target_version='1.8')['nova_object.data']['status'])


class TestFutureStatuses(base.TestCase):
    """The rule for the next status ever added (see migration.py)."""

    def test_a_status_newer_than_the_target_is_refused(self):
        migration = self.create_migration('resize')
        # 'paused' stands for a hypothetical status added in 1.10.
        with mock.patch.dict(sm_fields.STATUSES_ADDED_AFTER_1_9,
                             {(1, 10): ('paused',)}):
            primitive = {'status': 'paused'}
            error = self.assertRaises(
                ovo_exception.ObjectActionError,
                objects.Migration.obj_make_compatible, migration, primitive,
                '1.9')
            self.assertIn('status=paused not supported in version 1.9',
                          str(error))
            objects.Migration.obj_make_compatible(migration, primitive,
                                                  '1.10')

    def test_known_statuses_backport_untouched(self):
        primitive = {'status': 'finished'}
        with mock.patch.dict(sm_fields.STATUSES_ADDED_AFTER_1_9,
                             {(1, 10): ('paused',)}):
            objects.Migration.obj_make_compatible(
                objects.Migration(), primitive, '1.8')
        self.assertEqual({'status': 'finished'}, primitive)


class TestLists(base.TestCase):

    def test_in_progress_by_instance_is_per_type(self):
        live = self.create_migration('live-migration', instance_uuid='i')
        resize = self.create_migration(
            'resize', instance_uuid='i',
            uuid='a1b2c3d4-0000-4000-8000-000000000009')
        found = objects.MigrationList.get_in_progress_by_instance(
            self.context, 'i')
        self.assertEqual({live.id, resize.id}, {m.id for m in found})
        live.status = 'error'
        live.save()
        found = objects.MigrationList.get_in_progress_by_instance(
            self.context, 'i')
        self.assertEqual([resize.id], [m.id for m in found])

    def test_get_by_filters(self):
        self.create_migration('evacuation', instance_uuid='i')
        found = objects.MigrationList.get_by_filters(
            self.context, {'status': ['accepted', 'done']})
        self.assertEqual(['evacuation'], [m.migration_type for m in found])

    def test_not_found(self):
        self.assertRaises(exceptions.MigrationNotFound,
                          objects.Migration.get_by_id, self.context, 404)
