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

"""Shared fixtures for the unit tests."""

import warnings

import fixtures
from oslo_config import fixture as config_fixture
import testtools

from nova_migration_sm import conf as sm_conf
from nova_migration_sm.reference import context as sm_context
from nova_migration_sm.reference.db import api as db
from nova_migration_sm.reference import objects

# NOTE: as Nova's nova/test.py, the tests register the objects once.
objects.register_all()


class Database(fixtures.Fixture):
    """A fresh in-memory SQLite database behind the DB API."""

    def _setUp(self):
        db.configure('sqlite://')
        db.create_schema()
        self.addCleanup(db.dispose, db._manager(None))


class TestCase(testtools.TestCase):
    """Config reset, a database and an admin context."""

    def setUp(self):
        super().setUp()
        warnings.filterwarnings('ignore', category=DeprecationWarning)
        sm_conf.register_opts(sm_conf.CONF)
        self.flags = self.useFixture(config_fixture.Config(sm_conf.CONF))
        # NOTE: the tests are written against strict; the default is warn.
        self.set_enforcement(sm_conf.STRICT)
        self.useFixture(Database())
        self.context = sm_context.get_admin_context()

    def set_enforcement(self, mode: str) -> None:
        self.flags.config(enforcement=mode, group='migration_state_machine')

    def create_migration(self, migration_type='resize', status=None,
                         **kwargs):
        """Create a row through the checked create() (initial status)."""
        from nova_migration_sm import machines
        status = status or machines.initial_statuses(migration_type)[0]
        kwargs.setdefault('instance_uuid',
                          'e4c4a3b2-0000-4000-8000-000000000001')
        kwargs.setdefault('old_instance_type_id', 1)
        kwargs.setdefault('new_instance_type_id',
                          2 if migration_type == 'resize' else 1)
        migration = objects.Migration(self.context,
                                      migration_type=migration_type,
                                      status=status, **kwargs)
        migration.create()
        return migration

    @staticmethod
    def walk(migration, *statuses: str):
        """Save ``migration`` through each status in turn."""
        for status in statuses:
            migration.status = status
            migration.save()
        return migration

    def stored_status(self, migration) -> str:
        return db.migration_get(self.context, migration.id).status
