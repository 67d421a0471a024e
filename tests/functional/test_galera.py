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

"""Writer processes racing on a 3-node MariaDB Galera cluster.

The racing-writers tests of :mod:`tests.functional.racing_tests` with the
reference objects, two writer processes per node, each connected to its
node only. A concurrent write of the same row on another node fails
certification at commit (``DBDeadlock``): the DB API's deadlock retry
runs the save's compare-and-swap again, so the history must still show 0
illegal moves, 0 lost updates and no error, and the mutations must still
break it. Loaded only when ``GALERA_URLS`` names a cluster
(``tools/galera.sh``); then a node that is down fails the tests.
"""

import testtools

from nova_migration_sm.reference import context as sm_context
from nova_migration_sm.reference.db import api as db
from nova_migration_sm.reference.db import models
from tests.functional import fixtures
from tests.functional import galera
from tests.functional import racing
from tests.functional import racing_tests


def load_tests(loader, tests, pattern):
    if not galera.node_urls():
        return loader.suiteClass()
    return tests


class TestWritersRacingOnGalera(racing_tests.RacingWritersTests,
                                testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.cluster = self.useFixture(galera.GaleraDatabase())
        manager = db.new_context_manager(self.cluster.url)
        self.addCleanup(db.dispose, manager)
        self.context = sm_context.get_admin_context()
        self.context.db_connection = manager
        db.create_schema(self.context)

    def racing_target(self) -> racing_tests.Target:
        return racing_tests.Target(
            'library', galera.BACKEND, self.cluster.url,
            models.Migration.__table__, 'tests.functional.writers',
            self.cluster.urls)

    def new_row(self, migration_type: str, cross_cell: bool) -> int:
        return fixtures.new_migration(
            self.context, migration_type, cross_cell_move=cross_cell,
            dest_host=racing.CREATED_TAG, memory_processed=0).id
