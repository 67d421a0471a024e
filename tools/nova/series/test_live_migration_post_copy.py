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

"""A live migration switched to post-copy is still in progress."""

import time

from nova.objects import fields
from nova.tests.functional.api import client
from nova.tests.functional import integrated_helpers


def _held_live_migration(self, context, instance, dest, post_method,
                         recover_method, block_migration=False,
                         migrate_data=None):
    """FakeLiveMigrateDriver.live_migration, held until the test ends it.

    The fake driver's own job gives up after 5 seconds. When the test asks
    for post-copy, it switches as libvirt's monitor does
    (nova/virt/libvirt/migration.py:786-789, on the migration the compute
    manager handed over in migrate_data, virt/libvirt/driver.py:11718).
    """
    self._abort_migration = False
    self._migrating = True
    switched = False
    deadline = time.monotonic() + 120
    while self._migrating and time.monotonic() < deadline:
        if self._post_copy and not switched:
            migrate_data.migration.status = (
                fields.MigrationStatus.RUNNING_POST_COPY)
            migrate_data.migration.save()
            switched = True
        time.sleep(0.1)
    if self._abort_migration:
        recover_method(context, instance, dest, migrate_data,
                       migration_status=fields.MigrationStatus.CANCELLED)
    else:
        post_method(context, instance, dest, block_migration, migrate_data)


class LiveMigrationPostCopyTest(
        integrated_helpers.ProviderUsageBaseTestCase):
    """GET /servers/{id}/migrations lists a post-copy live migration.

    Nova 34.0.0 typed its in-progress list by hand (queued, preparing,
    running, post-migrating), so a live migration that libvirt switched to
    post-copy disappeared from the list and its show answered 404 "not in
    progress" while the guest was still moving.
    """

    compute_driver = 'fake.FakeLiveMigrateDriver'

    def setUp(self):
        super().setUp()
        self.stub_out('nova.virt.fake.FakeLiveMigrateDriver.live_migration',
                      _held_live_migration)
        self.compute1 = self._start_compute(host='host1')
        # Set by the test, read by the held live migration (source side).
        self.compute1.manager.driver._post_copy = False
        self.compute2 = self._start_compute(host='host2')
        self.flavor = self.api.get_flavors()[0]

    def _switch_to_post_copy(self, server):
        self.compute1.manager.driver._post_copy = True
        self._wait_for_migration_status(
            server, [fields.MigrationStatus.RUNNING_POST_COPY])

    def test_post_copy_is_listed_and_refuses_force_complete_and_abort(self):
        server = self._boot_and_check_allocations(self.flavor, 'host1')
        self.api.post_server_action(server['id'], {
            'os-migrateLive': {'host': 'host2', 'block_migration': True}})
        migration = self._wait_for_migration_status(
            server, [fields.MigrationStatus.RUNNING])
        self._switch_to_post_copy(server)
        try:
            listed = self.api.api_get(
                '/servers/%s/migrations' % server['id']).body['migrations']
            self.assertEqual(
                [(migration['id'], fields.MigrationStatus.RUNNING_POST_COPY)],
                [(m['id'], m['status']) for m in listed])
            shown = self.api.api_get('/servers/%s/migrations/%s' % (
                server['id'], migration['id'])).body['migration']
            self.assertEqual(fields.MigrationStatus.RUNNING_POST_COPY,
                             shown['status'])

            # Past the switch neither can be done: both are refused (400)
            # and the error names the status.
            for attempt in (self.api.force_complete_migration,
                            self.api.delete_migration):
                error = self.assertRaises(
                    client.OpenStackApiException,
                    attempt, server['id'], migration['id'])
                self.assertEqual(400, error.response.status_code)
                self.assertIn(fields.MigrationStatus.RUNNING_POST_COPY,
                              str(error))
        finally:
            # The job ends (also when an assertion failed, which would
            # otherwise leave it holding the services): the migration
            # completes and leaves the list.
            self.compute1.manager.driver._migrating = False
            self._wait_for_migration_status(
                server, [fields.MigrationStatus.COMPLETED])
        listed = self.api.api_get(
            '/servers/%s/migrations' % server['id']).body['migrations']
        self.assertEqual([], listed)
