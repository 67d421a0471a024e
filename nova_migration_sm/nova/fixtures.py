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

"""Fixtures for Nova's own tests.

Many of Nova's tests build migration rows directly in the status they need
(a live migration already ``running``, a resize ``finished``), where Nova's
code would create them in their initial status and walk them there. With
the machines enforced, ``create()`` refuses such a row; a test says
explicitly that it fabricates rows with :class:`FabricatedMigrations`.
"""

import fixtures

from nova_migration_sm import mixin


class FabricatedMigrations(fixtures.Fixture):
    """Let the test create migration rows in any status of their type.

    While it is active, ``Migration.create()`` checks a record as a copy
    (``create_copy()``) is checked: its status must be one its type can
    hold, not necessarily an initial one. Every ``save()`` is still
    checked, so a test that then moves the row walks Nova's lifecycle.
    Use it in the ``setUp`` of a test class that fabricates rows, or at
    the top of a test that does; never in a base class every test
    inherits.
    """

    def _setUp(self) -> None:
        self.useFixture(fixtures.MockPatchObject(
            mixin.MigrationStateMachineMixin, '_sm_fabricating', True))
