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

"""Rolling upgrade: services on Migration 1.8 and 1.9 side by side.

The old service runs in its own process (all o.vo registries share one
class table) and reaches the 1.9 conductor over RabbitMQ. Without a
transport, :class:`TestOldCallerInProcess` replays the same exchanges
with 1.8 primitives, which is what an old caller puts on the wire.
"""

import atexit
import subprocess
import sys
import uuid

from oslo_db.sqlalchemy import test_fixtures
from oslo_versionedobjects import exception as ovo_exception

from nova_migration_sm import exceptions
from nova_migration_sm import mixin
from nova_migration_sm.reference import objects
from nova_migration_sm.reference.rpc import serializer as rpc_serializer
from nova_migration_sm.statuses import MigrationStatus as S
from nova_migration_sm.statuses import MigrationType as T
from tests.functional import fixtures
from tests.functional.rig import old_service

load_tests = test_fixtures.optimize_module_test_loader()

OLD = {'Migration': '1.8'}


def _simulate_queued_added_in_1_10(test):
    """As if 'queued' were a status added after 1.9 (in 1.10)."""
    test.useFixture(fixtures.fixtures.MonkeyPatch(
        'nova_migration_sm.fields.STATUSES_ADDED_AFTER_1_9',
        {(1, 10): (S.QUEUED,)}))


class TestOldCallerInProcess(fixtures.FunctionalTestCase):
    """What a 1.8 caller sends and gets, through the 1.9 conductor."""

    scenarios = fixtures.scenarios()

    def setUp(self):
        super().setUp()
        self.migration = fixtures.new_migration(self.context,
                                                T.LIVE_MIGRATION)

    def test_read_is_backported_for_an_old_caller(self):
        # conductor/manager.py object_class_action_versions
        result = self.api.object_class_action_versions(
            self.context, 'Migration', 'get_by_uuid', OLD,
            (self.migration.uuid,), {})
        self.assertEqual(('1.8', S.ACCEPTED), (result.VERSION,
                                               result.status))

    def test_backport_on_request(self):
        # conductor/manager.py object_backport_versions
        result = self.api.object_backport_versions(self.context,
                                                   self.migration, OLD)
        self.assertEqual('1.8', result.VERSION)

    def _old_save(self, status):
        migration = objects.Migration.get_by_uuid(self.context,
                                                  self.migration.uuid)
        migration.status = status
        primitive = migration.obj_to_primitive(target_version='1.8')
        # NOTE: Nova 34.0.0 knows nothing of what the object last saw.
        primitive.pop(mixin.SEEN_STATUS_KEY)
        return self.api.object_action(self.context, primitive, 'save', (),
                                      {})

    def test_old_object_saved_and_checked_by_conductor(self):
        updates, _ = self._old_save(S.QUEUED)
        self.assertEqual([], list(updates['obj_what_changed']))
        self.assertEqual(S.QUEUED, objects.Migration.get_by_uuid(
            self.context, self.migration.uuid).status)

    def test_old_object_refused_move(self):
        error = self.assertRaises(
            exceptions.InvalidMigrationStatusTransition,
            self._old_save, S.COMPLETED)
        self.assertEqual(S.ACCEPTED, error.kwargs['from_status'])

    def test_future_status_fails_loudly(self):
        _simulate_queued_added_in_1_10(self)
        fixtures.walk(self, self.migration, [S.QUEUED])
        self.assertRaises(ovo_exception.ObjectActionError,
                          self.api.object_class_action_versions,
                          self.context, 'Migration', 'get_by_uuid', OLD,
                          (self.migration.uuid,), {})
        self.assertRaises(ovo_exception.ObjectActionError,
                          self.api.object_backport_versions,
                          self.context, self.migration, OLD)
        self.assertRaises(
            ovo_exception.ObjectActionError,
            rpc_serializer.ManifestSerializer(OLD).serialize_entity,
            self.context, self.migration)


_OLD_SERVICES: dict = {}


def old_service_topic(transport_url, conductor_topic) -> str:
    """The old service process of this test process (started once)."""
    if conductor_topic not in _OLD_SERVICES:
        topic = 'nova_migration_sm_old.%s' % uuid.uuid4().hex[:12]
        process = subprocess.Popen(
            [sys.executable, '-W', 'ignore', '-m',
             'tests.functional.rig.old_service', '--transport-url',
             transport_url, '--topic', topic, '--conductor-topic',
             conductor_topic], cwd=fixtures.REPO, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        atexit.register(process.wait, 30)
        atexit.register(process.terminate)
        line = process.stdout.readline()
        if not line.startswith('READY'):
            raise RuntimeError('old service did not start: %r' % line)
        _OLD_SERVICES[conductor_topic] = topic
    return _OLD_SERVICES[conductor_topic]


class TestOldServiceProcess(fixtures.FunctionalTestCase):
    """A Nova 34.0.0 (1.8) process and the 1.9 side, over RabbitMQ."""

    scenarios = fixtures.scenarios()

    def setUp(self):
        super().setUp()
        fixtures.check_transport(self, needed=True)
        conductor = self.conductor.conductor
        topic = old_service_topic(conductor.transport_url, conductor.topic)
        self.old = old_service.OldServiceAPI(conductor.transport, topic)
        self.old_capped = old_service.OldServiceAPI(
            conductor.transport, topic, version_cap='1.0')
        self.migration = fixtures.new_migration(self.context,
                                                T.LIVE_MIGRATION)

    def test_old_service_asks_for_a_backport(self):
        before = self.old.describe(self.context, self.migration)
        seen = self.old.describe(self.context, self.migration)
        self.assertEqual(('Nova34Migration', '1.8', S.ACCEPTED),
                         (seen['class'], seen['version'], seen['status']))
        self.assertEqual(before['backports'] + 1, seen['backports'])

    def test_capped_sender_backports_itself(self):
        before = self.old.describe(self.context, self.migration)
        seen = self.old_capped.describe(self.context, self.migration)
        self.assertEqual(('Nova34Migration', '1.8'),
                         (seen['class'], seen['version']))
        self.assertEqual(before['backports'], seen['backports'])

    def test_old_service_moves_through_new_conductor(self):
        # compute/manager.py:9481 live_migration on an old compute
        moved = self.old.set_status(self.context, self.migration.uuid,
                                    S.QUEUED)
        # The 1.8 object it sends back loads on the 1.9 side.
        self.assertIsInstance(moved, objects.Migration)
        self.assertEqual(('1.8', S.QUEUED), (moved.VERSION, moved.status))
        self.assertEqual(S.QUEUED, objects.Migration.get_by_uuid(
            self.context, self.migration.uuid).status)
        self.figures(flows=1)

    def test_old_service_refused_move_is_same_class(self):
        error = self.assertRaises(
            exceptions.InvalidMigrationStatusTransition,
            self.old.set_status, self.context, self.migration.uuid,
            S.COMPLETED)
        self.assertIs(
            exceptions.InvalidMigrationStatusTransition,
            type(error))
        self.assertEqual(S.ACCEPTED, objects.Migration.get_by_uuid(
            self.context, self.migration.uuid).status)

    def test_future_status_fails_loudly_both_ways(self):
        _simulate_queued_added_in_1_10(self)
        fixtures.walk(self, self.migration, [S.QUEUED])
        # The receiver asks for a backport: the conductor refuses.
        self.assertRaises(ovo_exception.ObjectActionError,
                          self.old.describe, self.context, self.migration)
        # The sender knows: it refuses before sending.
        self.assertRaises(ovo_exception.ObjectActionError,
                          self.old_capped.describe, self.context,
                          self.migration)
        # The old service reads it: the conductor refuses to backport.
        self.assertRaises(ovo_exception.ObjectActionError,
                          self.old.get, self.context, self.migration.uuid)
