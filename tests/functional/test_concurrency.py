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

"""Writer processes racing any status move on the same rows.

Four writer processes (each with its own database connections, as four
conductors) save targets drawn from all 18 statuses, legal or not, from
fresh, stale and unseen views of the same rows
(:mod:`tests.functional.racing`, :mod:`tests.functional.racing_tests`).
A trigger records every status the database persisted; each row's history
is then judged against the hand-written transcription of the machines,
independently of the library. Figures: attempts, refusals, conflicts, race
moves taken, illegal persisted, lost updates.

The mutation tests run the same harness with the library broken in the
writer processes (the check off, the compare-and-swap blind, a
compare-and-swap that reports writes it never made) and assert the
history judge then reports illegal moves or lost updates: the figures of
the real run can fail.
"""

from oslo_db.sqlalchemy import test_fixtures

from nova_migration_sm.reference.db import models
from tests.functional import fixtures
from tests.functional import racing
from tests.functional import racing_tests

load_tests = test_fixtures.optimize_module_test_loader()


class TestWritersRacing(racing_tests.RacingWritersTests,
                        fixtures.FunctionalTestCase):

    scenarios = fixtures.scenarios()

    def racing_target(self) -> racing_tests.Target:
        return racing_tests.Target(
            'library', self.database.backend, self.database.url,
            models.Migration.__table__, 'tests.functional.writers')

    def new_row(self, migration_type: str, cross_cell: bool) -> int:
        return fixtures.new_migration(
            self.context, migration_type, cross_cell_move=cross_cell,
            dest_host=racing.CREATED_TAG, memory_processed=0).id
