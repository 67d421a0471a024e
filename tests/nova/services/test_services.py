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

"""Real Nova services: Nova 34.0.0's conductor, 33.0.2 and 34.0.0 computes.

Per mode of ``[migration_state_machine] enforcement`` (off, warn, strict),
one PostgreSQL database with Nova's cell schema, Nova 34.0.0's own
``nova-conductor`` (integration patched in) and two compute-side processes
(:mod:`.compute_side`): a plain Nova 33.0.2 with its own ``Migration`` 1.8
and no library, and a Nova 34.0.0 with the integration. Each step of a flow
is the status write of one Nova 33.0.2 function, made by the service that
makes it: a compute's through its process (loaded with ``get_by_id``,
saved with ``save()``, both remoted to the conductor), the API's and the
conductor's by this process on the database, as those services do.
"""

import os
import shutil
import sys
import tempfile
import time
import unittest

from nova import objects
from nova.objects import base as objects_base
from nova.objects import migration as nova_migration
from oslo_config import fixture as config_fixture
import sqlalchemy as sa
import testtools

from nova_migration_sm import conf as sm_conf
from tests.nova import base
from tests.nova.services import rig
from tests.nova import writers

OLD_CLASS = 'nova.objects.migration.Migration'
"""Nova 33.0.2's own Migration 1.8: the class the old compute loads."""

COMPUTE, API, CONDUCTOR = 'compute', 'api', 'conductor'

# The flows: (who writes, status, the Nova 33.0.2 place that writes it).
RESIZE_CONFIRMED = (
    (CONDUCTOR, 'pre-migrating', 'conductor/tasks/migrate.py:151 MigrationTask._preallocate_migration'),  # noqa: E501
    (COMPUTE, 'migrating', 'compute/manager.py:6802 ComputeManager._resize_instance (source)'),  # noqa: E501
    (COMPUTE, 'post-migrating', 'compute/manager.py:6831 ComputeManager._resize_instance (source)'),  # noqa: E501
    (COMPUTE, 'finished', 'compute/manager.py:7044 ComputeManager._finish_resize (destination)'),  # noqa: E501
    (API, 'confirming', 'compute/api.py:4124 API.confirm_resize'),
    (COMPUTE, 'confirmed', 'compute/resource_tracker.py:633 drop_move_claim_at_source via compute/manager.py:5566 _confirm_resize'),  # noqa: E501
)
RESIZE_REVERTED = RESIZE_CONFIRMED[:4] + (
    (API, 'reverting', 'compute/api.py:4052 API.revert_resize'),
    (COMPUTE, 'reverted', 'compute/resource_tracker.py:654 drop_move_claim_at_dest via compute/manager.py:6123 revert_resize'),  # noqa: E501
)
LIVE_MIGRATION_COMPLETED = (
    (CONDUCTOR, 'accepted', 'conductor/manager.py:512 ComputeTaskManager._live_migrate'),  # noqa: E501
    (COMPUTE, 'queued', 'compute/manager.py:9864 ComputeManager.live_migration (source)'),  # noqa: E501
    (COMPUTE, 'preparing', 'compute/manager.py:9785 ComputeManager._do_live_migration'),  # noqa: E501
    (COMPUTE, 'running', 'compute/manager.py:9817 ComputeManager._do_live_migration'),  # noqa: E501
    (COMPUTE, 'completed', 'compute/manager.py:10297 ComputeManager._post_live_migration'),  # noqa: E501
)
LIVE_MIGRATION_ROLLED_BACK = LIVE_MIGRATION_COMPLETED[:4] + (
    (COMPUTE, 'failed', 'compute/manager.py:10642 ComputeManager._rollback_live_migration (migration_status=failed, libvirt recover)'),  # noqa: E501
)
TYPES = {'pre-migrating': 'resize', 'accepted': 'live-migration'}

ILLEGAL = ('pre-migrating', 'reverted')
"""A move no release of Nova makes: a resize reverted before it began."""
ILLEGAL_MESSAGE = ("Migration %s (type resize) may not move from status "
                   "'pre-migrating' to 'reverted'; allowed next statuses: "
                   "'migrating', 'error'.")
"""The refusal's message, written out by hand."""


class RegistryTest(testtools.TestCase):
    """The conductor's registry loads a 1.8 primitive as the checked class."""

    def test_1_8_loads_as_the_checked_class(self):
        objects.register_all()
        self.assertIs(nova_migration.Migration,
                      objects_base.NovaObject.obj_class_from_name(
                          'Migration', '1.8'))
        self.assertEqual(['1.9'], [
            cls.VERSION for cls in
            objects_base.NovaObjectRegistry.obj_classes()['Migration']])


class _ServicesTest:
    """One conductor per mode; its computes; the flows, step by step."""

    enforcement: str

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        started = time.monotonic()
        transport_url = os.environ.get(rig.TRANSPORT_URL_ENV)
        nova33 = os.environ.get(rig.NOVA33_PYTHON_ENV)
        missing = [name for name, value in (
            (rig.TRANSPORT_URL_ENV, transport_url),
            (rig.NOVA33_PYTHON_ENV, nova33)) if not value]
        if missing:
            message = '%s not set' % ', '.join(missing)
            if base.servers_required():
                raise RuntimeError('%s (%s=1)' % (message, base.REQUIRE_ENV))
            raise unittest.SkipTest(message)
        objects.register_all()
        cls.database = base.NovaDatabase('postgresql', tables=None)
        cls.database.setUp()
        cls.directory = tempfile.mkdtemp(prefix='nmsm-services-')
        cls.placement = rig.PlacementStub()
        placement_url = cls.placement.__enter__()
        cls.services = rig.Services(cls.directory, transport_url,
                                    cls.database.url, placement_url,
                                    cls.enforcement)
        try:
            cls.services.start_conductor()
            cls.compute33 = cls.services.compute_side(
                'compute33', nova33, 'eventlet')
            cls.compute34 = cls.services.compute_side(
                'compute34', sys.executable, 'threading')
        except Exception:
            cls._stop()
            raise
        cls.start_seconds = time.monotonic() - started

    @classmethod
    def _stop(cls):
        cls.services.stop()
        cls.placement.__exit__(None, None, None)
        cls.database.cleanUp()
        shutil.rmtree(cls.directory, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        cls._stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        sm_conf.register_opts(sm_conf.CONF)
        flags = self.useFixture(config_fixture.Config(sm_conf.CONF))
        flags.config(enforcement=self.enforcement, group=sm_conf.GROUP.name)
        self.context = writers.admin_context(self.database.url)

    # -- helpers --------------------------------------------------------------

    def row_status(self, migration_id: int) -> str:
        """The status the database holds, read with plain SQL."""
        with self.database.engine.connect() as conn:
            return conn.execute(sa.text(
                'SELECT status FROM migrations WHERE id = :id'),
                {'id': migration_id}).scalar_one()

    def create(self, status: str):
        """The row the conductor creates (Nova 34.0.0's objects)."""
        migration = objects.Migration(
            self.context, migration_type=TYPES[status],
            cross_cell_move=False, status=status,
            instance_uuid=self.database.add_instance(),
            source_compute='compute33', dest_compute='compute34',
            memory_processed=0)
        migration.create()
        return migration

    def conductor_warnings_naming(self, migration) -> list[str]:
        return [line for line in self.services.conductor_warnings()
                if migration.uuid in line]

    def drive(self, flow) -> None:
        """Each write by its service; the row holds each status in turn."""
        migration = self.create(flow[0][1])
        for who, status, where in flow[1:]:
            if who == COMPUTE:
                reply = self.compute33.call(op='save', id=migration.id,
                                            status=status)
                self.assertTrue(reply['ok'], '%s: %s' % (where, reply))
                # 1.9 -> 1.8: the conductor backported what it loaded.
                self.assertEqual(('1.8', OLD_CLASS),
                                 (reply['loaded']['version'],
                                  reply['loaded']['class']), where)
            else:
                api_side = objects.Migration.get_by_id(self.context,
                                                       migration.id)
                api_side.status = status
                api_side.save()
            self.assertEqual(status, self.row_status(migration.id), where)
        self.assertEqual([], self.conductor_warnings_naming(migration))

    # -- Nova 33.0.2's flows ------------------------------------------------

    def test_resize_confirmed_by_a_33_compute(self):
        self.drive(RESIZE_CONFIRMED)

    def test_resize_reverted_by_a_33_compute(self):
        self.drive(RESIZE_REVERTED)

    def test_live_migration_completed_by_a_33_compute(self):
        self.drive(LIVE_MIGRATION_COMPLETED)

    def test_live_migration_rolled_back_by_a_33_compute(self):
        self.drive(LIVE_MIGRATION_ROLLED_BACK)

    # -- the wire -----------------------------------------------------------

    def test_33_compute_is_plain_nova_33(self):
        self.assertEqual(
            {'ok': True, 'nova': '33.0.2', 'library': False,
             'migration_versions': ['1.8'],
             'allowed_exmods': ['nova.exception']},
            self.compute33.call(op='info'))

    def test_34_compute_builds_its_transport_with_the_library(self):
        info = self.compute34.call(op='info')
        self.assertEqual(('34.0.0', True, ['1.9']),
                         (info['nova'], info['library'],
                          info['migration_versions']))
        self.assertIn('nova_migration_sm.exceptions', info['allowed_exmods'])

    def test_33_compute_receives_1_9_backported_by_the_conductor(self):
        # What the 34 side sends over RPC (NovaObjectSerializer), as 1.9;
        # the 33 compute's serializer asks the conductor to backport it
        # (object_backport_versions) and saves the next move on it.
        migration = self.create('pre-migrating')
        primitive = objects_base.NovaObjectSerializer().serialize_entity(
            self.context, migration)
        self.assertEqual('1.9', primitive['nova_object.version'])
        reply = self.compute33.call(op='receive', primitive=primitive,
                                    status='migrating')
        self.assertTrue(reply['ok'], reply)
        self.assertEqual({'version': '1.8', 'status': 'pre-migrating',
                          'class': OLD_CLASS}, reply['loaded'])
        self.assertEqual('migrating', self.row_status(migration.id))

    # -- an illegal move ----------------------------------------------------

    def _illegal_move(self, compute):
        migration = self.create(ILLEGAL[0])
        reply = compute.call(op='save', id=migration.id, status=ILLEGAL[1])
        return migration, reply

    def assert_written(self, migration, reply, warned: bool) -> None:
        self.assertTrue(reply['ok'], reply)
        self.assertEqual(ILLEGAL[1], self.row_status(migration.id))
        warnings = self.conductor_warnings_naming(migration)
        if warned:
            self.assertEqual(1, len(warnings), warnings)
            self.assertIn("'pre-migrating' to 'reverted'", warnings[0])
        else:
            self.assertEqual([], warnings)

    def test_illegal_move_from_a_33_compute(self):
        migration, reply = self._illegal_move(self.compute33)
        self.check_33_illegal(migration, reply)

    def test_illegal_move_from_a_34_compute(self):
        migration, reply = self._illegal_move(self.compute34)
        self.check_34_illegal(migration, reply)


class OffTest(_ServicesTest, testtools.TestCase):
    enforcement = 'off'

    def check_33_illegal(self, migration, reply):
        self.assert_written(migration, reply, warned=False)

    check_34_illegal = check_33_illegal


class WarnTest(_ServicesTest, testtools.TestCase):
    enforcement = 'warn'

    def check_33_illegal(self, migration, reply):
        self.assert_written(migration, reply, warned=True)

    check_34_illegal = check_33_illegal


class StrictTest(_ServicesTest, testtools.TestCase):
    enforcement = 'strict'

    def check_33_illegal(self, migration, reply):
        # A compute without the library cannot rebuild the class:
        # oslo.messaging gives it a RemoteError naming it.
        self.assertFalse(reply['ok'], 'written: %s' % reply)
        self.assertEqual(
            ('RemoteError', 'oslo_messaging.rpc.client',
             'InvalidMigrationStatusTransition',
             ILLEGAL_MESSAGE % migration.uuid),
            (reply['caught'], reply['module'], reply['exc_type'],
             reply['value']))
        self.assertTrue(reply['message'].startswith(
            'Remote error: InvalidMigrationStatusTransition ' +
            ILLEGAL_MESSAGE % migration.uuid + '\n['), reply['message'])
        self.assertEqual(ILLEGAL[0], self.row_status(migration.id))
        # Nova 33.0.2's error handling then ends the migration
        # (compute/manager.py:123 errors_out_migration_ctxt).
        reply = self.compute33.call(op='save', id=migration.id,
                                    status='error')
        self.assertTrue(reply['ok'], reply)
        self.assertEqual('error', self.row_status(migration.id))

    def check_34_illegal(self, migration, reply):
        # Issue 16: the compute's transport allows the library's module,
        # though rpc.init() ran before register_all().
        self.assertFalse(reply['ok'], 'written: %s' % reply)
        self.assertEqual('refusal', reply['caught'], reply)
        self.assertIn('InvalidMigrationStatusTransition', reply['mro'])
        self.assertEqual(ILLEGAL_MESSAGE % migration.uuid,
                         reply['message'].splitlines()[0])
        self.assertEqual(ILLEGAL[0], self.row_status(migration.id))
