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

"""A fresh database with Nova's ``migrations`` schema, on one backend.

PostgreSQL and MySQL/MariaDB databases come from oslo.db's provisioning
(``oslo_db.sqlalchemy.provision``), which reads the admin URLs from
``OS_TEST_DBAPI_ADMIN_CONNECTION`` and creates and drops a randomly named
database. SQLite is a file in a temporary directory, not oslo.db's
``sqlite://`` (in memory): the writer processes must share it. The
schema is built by Nova's own models (``nova.db.main.models``), the
``instances`` table included for the foreign key of ``migrations``; the
history trigger of :mod:`tests.functional.history` is installed on top.
:class:`NovaTestCase` gives each test such a database and an admin context
whose Nova DB API uses it.
"""

import os
import uuid

import fixtures
from nova.db.main import models as nova_models
from nova import objects
from oslo_config import fixture as config_fixture
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import provision
import sqlalchemy as sa
import testtools

from nova_migration_sm import conf as sm_conf
from tests.functional import galera
from tests.functional import history
from tests.functional import racing
from tests.nova import writers

REQUIRE_ENV = 'NOVA_MIGRATION_SM_REQUIRE_SERVERS'
BACKENDS = ('sqlite', 'postgresql', 'mysql', galera.BACKEND)
"""``galera`` only when ``GALERA_URLS`` names a cluster (tools/galera.sh)."""
TABLES = (nova_models.Instance.__table__, nova_models.Migration.__table__)


def servers_required() -> bool:
    return os.environ.get(REQUIRE_ENV, '') not in ('', '0')


class Unavailable(Exception):
    """The backend's server cannot be reached."""


class NovaDatabase(fixtures.Fixture):
    """A new database of ``backend`` with Nova's migrations schema.

    ``url`` (password included) and ``engine`` (no pooling) reach it.
    Raises :class:`Unavailable` when the server is missing. On Galera,
    ``node_urls`` names the database on every node (``url`` is the
    first), ``engine`` reads causally (what any node committed) and
    ``peer_engine`` writes on another node; elsewhere both engines are
    the same and ``node_urls`` is empty.
    """

    def __init__(self, backend: str, tables=TABLES) -> None:
        super().__init__()
        self.backend = backend
        self.tables = tables  # None: Nova's whole cell schema

    def _setUp(self) -> None:
        self.node_urls = ()
        if self.backend == 'sqlite':
            directory = self.useFixture(fixtures.TempDir()).path
            self.url = 'sqlite:///%s' % os.path.join(directory, 'nova.db')
        elif self.backend == galera.BACKEND:
            cluster = self.useFixture(galera.GaleraDatabase('nmsm_nova'))
            self.url, self.node_urls = cluster.url, cluster.urls
        else:
            self.url = self._provision()
        if self.node_urls:
            self.engine = galera.causal_engine(self.url)
            self.peer_engine = galera.causal_engine(self.node_urls[1])
            self.addCleanup(self.peer_engine.dispose)
        else:
            self.engine = self.peer_engine = sa.create_engine(
                self.url, poolclass=sa.pool.NullPool)
        self.addCleanup(self.engine.dispose)
        nova_models.BASE.metadata.create_all(self.engine, tables=self.tables)
        history.install(self.engine)

    def _provision(self) -> str:
        try:
            backend = provision.Backend.backend_for_database_type(
                self.backend)
        except db_exc.BackendNotAvailable as error:
            raise Unavailable('%s (admin URLs: OS_TEST_DBAPI_ADMIN_'
                              'CONNECTION)' % error)
        ident = 'nmsm_nova_' + uuid.uuid4().hex[:10]
        backend.create_named_database(ident)
        self.addCleanup(backend.drop_named_database, ident)
        return backend.provisioned_database_url(ident).render_as_string(
            hide_password=False)

    def add_instance(self) -> str:
        """An ``instances`` row (the foreign key of a migration)."""
        instance_uuid = str(uuid.uuid4())
        with self.engine.begin() as conn:
            conn.execute(nova_models.Instance.__table__.insert().values(
                uuid=instance_uuid, deleted=0))
        return instance_uuid


INITIAL = {'resize': 'pre-migrating', 'migration': 'pre-migrating',
           'live-migration': 'accepted', 'evacuation': 'accepted'}
"""The status Nova creates each type in (hand-written)."""


class NovaTestCase(testtools.TestCase):
    """A fresh Nova database on the scenario's backend; a context on it."""

    backend = 'sqlite'

    def setUp(self):
        super().setUp()
        # NOTE: the tests are written against strict; the default is warn.
        sm_conf.register_opts(sm_conf.CONF)
        self.flags = self.useFixture(config_fixture.Config(sm_conf.CONF))
        self.flags.config(enforcement=sm_conf.STRICT,
                          group=sm_conf.GROUP.name)
        try:
            self.database = self.useFixture(NovaDatabase(self.backend))
        except Exception as error:  # noqa: BLE001 - Unavailable, wrapped
            unavailable = _unavailable(error)
            if unavailable is None:
                raise
            if servers_required():
                self.fail('%s (%s=1)' % (unavailable, REQUIRE_ENV))
            self.skipTest(str(unavailable))
        self.context = writers.admin_context(self.database.url)

    def new_migration(self, migration_type, cross_cell=False,
                      context=None):
        """A migration Nova creates: its initial status, Nova's object."""
        migration = objects.Migration(
            context or self.context, migration_type=migration_type,
            cross_cell_move=cross_cell, status=INITIAL[migration_type],
            instance_uuid=self.database.add_instance(),
            source_compute='src', dest_compute='dst',
            dest_host=racing.CREATED_TAG, memory_processed=0)
        migration.create()
        return migration


def _unavailable(error: Exception) -> Unavailable | None:
    """The :class:`Unavailable` a fixture's setUp raised, if any.

    ``fixtures`` re-raises a setUp error as ``MultipleExceptions`` of
    ``sys.exc_info()`` tuples.
    """
    if isinstance(error, Unavailable):
        return error
    for info in getattr(error, 'args', ()):
        if isinstance(info, tuple) and len(info) == 3 and \
                isinstance(info[1], Unavailable):
            return info[1]
    return None


def scenarios(backends=BACKENDS):
    """One testscenarios scenario per backend (Galera if configured)."""
    return [(backend, {'backend': backend}) for backend in backends
            if backend != galera.BACKEND or galera.node_urls()]
