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

"""Reusable fixtures of the functional tests: databases, conductors, walks.

Environment (``tools/test-servers.sh CMD`` starts the servers with pifpaf
and sets the first two):

``OS_TEST_DBAPI_ADMIN_CONNECTION``
    oslo.db's ``;``-separated admin URLs, one per backend (``sqlite``,
    ``postgresql``, ``mysql``); unset: oslo.db's opportunistic
    ``openstack_citest`` URLs on localhost. Every test class runs once per
    backend (testscenarios); oslo.db's provisioning gives it a fresh
    random database on that backend, and the schema is dropped after each
    test. SQLite is always a file (a conductor process opens it too).
``RPC_TRANSPORT_URL``
    oslo.messaging URL (RabbitMQ) of the conductor; default: in-process.
``NOVA_MIGRATION_SM_REQUIRE_SERVERS=1``
    a backend or broker that is missing or unreachable fails the test
    instead of skipping it.
``PIFPAF_RABBITMQ_PORT``, ``_NODENAME``, ``_HOME``
    set by ``pifpaf run rabbitmq``; the broker restart test needs them
    (:mod:`tests.functional.broker`).
``NOVA_MIGRATION_SM_FIGURES_FILE``
    if set, tests append their figures (JSON lines) to it; see
    ``python -m tests.functional.figures``.
``GALERA_URLS``
    set by ``tools/galera.sh``: one URL per node of a Galera cluster;
    loads the Galera tests (:mod:`tests.functional.galera`).
"""

import atexit
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
import warnings

import fixtures
from oslo_config import fixture as config_fixture
from oslo_db.sqlalchemy import provision
from oslo_db.sqlalchemy import test_fixtures
from oslo_utils import uuidutils
from sqlalchemy.engine import url as sa_url
import testtools
from testtools import content

from nova_migration_sm import conf as sm_conf
from nova_migration_sm import machines
from nova_migration_sm.reference import context as sm_context
from nova_migration_sm.reference.db import api as db
from nova_migration_sm.reference import objects
from nova_migration_sm.reference.objects import base as objects_base
from nova_migration_sm.reference import rpc
from nova_migration_sm.reference.rpc import api as rpc_api
from nova_migration_sm.reference.rpc import manager as rpc_manager
from nova_migration_sm.reference.rpc import serializer as rpc_serializer
from nova_migration_sm.reference.rpc import transport as rpc_transport
from nova_migration_sm.statuses import MigrationType
from tests.functional import rig
from tests.functional.rig import conductor as rig_conductor

# NOTE: as Nova's nova/test.py, the tests register the objects once.
objects.register_all()

REQUIRE_ENV = 'NOVA_MIGRATION_SM_REQUIRE_SERVERS'
FIGURES_ENV = 'NOVA_MIGRATION_SM_FIGURES_FILE'
BACKENDS = ('sqlite', 'postgresql', 'mysql')
"""oslo.db's backend names; ``mysql`` is MariaDB in CI."""
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def servers_required() -> bool:
    return os.environ.get(REQUIRE_ENV, '') not in ('', '0')


def scenarios(backends: tuple[str, ...] = BACKENDS
              ) -> list[tuple[str, dict]]:
    """One testscenarios scenario per database backend."""
    return [(backend, {'DRIVER': backend}) for backend in backends]


def unavailable(test: testtools.TestCase, what: str, error) -> None:
    """A missing server: skip, or fail when servers are required."""
    message = '%s is unavailable: %s' % (what, error)
    if servers_required():
        test.fail(message + ' (%s=1)' % REQUIRE_ENV)
    test.skipTest(message)


# -- databases --------------------------------------------------------------

def _sqlite_on_disk() -> None:
    """Make oslo.db provision SQLite databases as files, not in memory.

    With an admin URL that names a file, oslo.db gives each database a
    file of its own; ``sqlite://`` (its default) would give every test
    the same in-memory database, which a conductor process cannot open.
    """
    backend = provision.Backend.backends_by_database_type.get('sqlite')
    if backend is None or backend.url.database:
        return
    tmp = tempfile.mkdtemp(prefix='nmsm-functional-')
    atexit.register(shutil.rmtree, tmp, True)
    url = 'sqlite:///%s' % os.path.join(tmp, 'admin.db')
    provision.Backend.backends_by_database_type['sqlite'] = (
        provision.Backend('sqlite', sa_url.make_url(url)))


_sqlite_on_disk()


class ProvisionedDatabase(test_fixtures.OpportunisticDbFixture):
    """A database oslo.db provisioned on the test's backend.

    ``ident`` names it within the test (``default``, or a cell); every
    object it holds is dropped after each test.
    """

    def _setUp(self) -> None:
        super()._setUp()
        if self._has_db_resource():
            # NOTE: the URL only; oslo.db's engine stays oslo.db's (a test
            # that changed a pooled connection would change the next test).
            url = self._get_provisioned_db().engine.url
            self.url = url.render_as_string(hide_password=False)


class DatabaseTestCase(test_fixtures.OpportunisticDBTestMixin,
                       testtools.TestCase):
    """A test with fresh databases on one backend (``DRIVER``).

    ``CELLS`` names the extra databases a test needs (cells, an API
    database); :meth:`database_url` gives their URLs. A backend that is
    not configured or not reachable skips the test, or fails it with
    ``NOVA_MIGRATION_SM_REQUIRE_SERVERS=1`` (oslo.db's
    ``SKIP_ON_UNAVAILABLE_DB``). Modules set
    ``load_tests = test_fixtures.optimize_module_test_loader()`` so that
    tests sharing a backend share its databases (testresources).
    """

    DRIVER = 'sqlite'
    CELLS: tuple[str, ...] = ()
    SKIP_ON_UNAVAILABLE_DB = not servers_required()

    def generate_fixtures(self) -> list[ProvisionedDatabase]:
        return [ProvisionedDatabase(self, driver=self.DRIVER, ident=ident)
                for ident in ('default',) + tuple(self.CELLS)]

    def provisioned(self, ident: str = 'default') -> ProvisionedDatabase:
        """One of this test's databases."""
        for database in self._instantiate_fixtures():
            if database.ident == ident:
                return database
        raise KeyError('%s declares no database %r (CELLS = %r)'
                       % (type(self).__name__, ident, self.CELLS))

    def database_url(self, ident: str = 'default') -> str:
        """The URL of one of this test's databases."""
        return self.provisioned(ident).url


class Database:
    """The databases of a :class:`FunctionalTestCase` and the DB API.

    ``url`` is the database the DB API (and an in-process conductor) now
    uses; :meth:`add_cell` points a context at another one.
    """

    _configured_url = None

    def __init__(self, test: DatabaseTestCase) -> None:
        self.test = test
        self.backend = test.DRIVER
        self.url = test.database_url()
        if Database._configured_url != self.url:
            db.configure(self.url)
            Database._configured_url = self.url
        db.create_schema()
        # NOTE: oslo.db drops the tables after the test; close ours first.
        test.addCleanup(db.get_engine().dispose)

    def cell_url(self, name: str) -> str:
        return self.test.database_url(name)

    def add_cell(self, name: str) -> sm_context.RequestContext:
        """Create the schema of cell ``name``; a context targeting it."""
        url = self.cell_url(name)
        database = os.path.basename(sa_url.make_url(url).database)
        registered = '%s.%s' % (name, database)
        manager = rpc_serializer.register_cell(registered, url)
        self.test.addCleanup(rpc_serializer.unregister_cell, registered)
        context = sm_context.get_admin_context()
        context.db_connection = manager
        db.create_schema(context)
        return context


# -- conductors -------------------------------------------------------------

_CONDUCTORS: dict[str | None, rig_conductor.Conductor] = {}
_LOCK = threading.Lock()


def _check_reachable(url: str) -> None:
    parsed = sa_url.make_url(url.replace('rabbit://', 'mysql://', 1))
    with socket.create_connection((parsed.host or '127.0.0.1',
                                   parsed.port or 5672), timeout=3):
        pass


def shared_conductor(transport_url: str | None) -> rig_conductor.Conductor:
    """This process's conductor on ``transport_url`` (one per process)."""
    with _LOCK:
        if transport_url not in _CONDUCTORS:
            if transport_url is not None:
                _check_reachable(transport_url)
            conductor = rig_conductor.Conductor(
                transport_url, topic='%s.%s' % (rpc.TOPIC,
                                                uuid.uuid4().hex[:12]))
            conductor.start()
            atexit.register(conductor.stop)
            _CONDUCTORS[transport_url] = conductor
        return _CONDUCTORS[transport_url]


class Conductor(fixtures.Fixture):
    """Route every object call of this test through a conductor.

    In this process (a thread serving RabbitMQ when ``RPC_TRANSPORT_URL``
    is set, else the in-process channel); ``NovaObject.indirection_api``
    points at it for the test.
    """

    def __init__(self, test: testtools.TestCase) -> None:
        super().__init__()
        self.test = test

    def _setUp(self) -> None:
        self.transport_url = rig.transport_url_from_env()
        self.conductor = shared_conductor(self.transport_url)
        self.transport_name = ('rabbit' if self.transport_url
                               else 'in-process')
        self.api = self.conductor.api()
        self.useFixture(fixtures.MonkeyPatch(
            'nova_migration_sm.reference.objects.base.NovaObject.'
            'indirection_api',
            self.api))

    # NOTE: code Nova runs inside nova-conductor (its tasks) runs here
    # with the objects local, as in the conductor process.
    serving = staticmethod(rpc_manager.serving)


def _lock_broker(test: testtools.TestCase, url: str) -> None:
    """Share the broker with the other test workers, for this test.

    A readers-writer lock across stestr's worker processes: every test
    that uses the broker holds it shared until its cleanup; a test whose
    class sets ``BROKER_EXCLUSIVE`` (the RabbitMQ restart) holds it alone,
    so it waits for the tests in flight and no test starts while the
    broker is down.
    """
    if getattr(test, '_broker_fd', None) is not None:
        return
    exclusive = getattr(test, 'BROKER_EXCLUSIVE', False)
    path = os.path.join(tempfile.gettempdir(), 'nova-migration-sm-broker-%s'
                        '.lock' % hashlib.sha1(url.encode()).hexdigest()[:12])
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    test._broker_fd = fd
    test.addCleanup(os.close, fd)


def check_transport(test: testtools.TestCase, needed: bool = False) -> None:
    """Skip (or fail) ``test`` if its RPC server is missing.

    ``needed``: the test needs a real transport (another process).
    Call it from ``setUp`` before using :class:`Conductor` or
    :class:`ConductorProcess`.
    """
    url = rig.transport_url_from_env()
    if url is None:
        if needed:
            unavailable(test, 'A transport between processes',
                        '%s is not set' % rig.TRANSPORT_URL_ENV)
        return
    _lock_broker(test, url)
    try:
        _check_reachable(url)
    except OSError as error:
        unavailable(test, 'RPC transport %s' % url, error)


class ConductorProcess(fixtures.Fixture):
    """A conductor in its own process (needs ``RPC_TRANSPORT_URL``).

    ``python -m tests.functional.rig.conductor``; :attr:`api` reaches it.
    :meth:`kill` and :meth:`terminate` stop it as a fault would.
    """

    def __init__(self, test: testtools.TestCase, db_url: str,
                 cells: dict | None = None,
                 extra_args: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.test = test
        self.db_url = db_url
        self.cells = cells or {}
        self.extra_args = extra_args

    def _setUp(self) -> None:
        self.transport_url = rig.transport_url_from_env()
        if self.transport_url is None:
            raise RuntimeError('%s is not set' % rig.TRANSPORT_URL_ENV)
        self.topic = '%s.%s' % (rpc.TOPIC, uuid.uuid4().hex[:12])
        args = [sys.executable, '-W', 'ignore', '-m',
                'tests.functional.rig.conductor',
                '--transport-url', self.transport_url,
                '--db-url', self.db_url, '--topic', self.topic]
        for name, url in self.cells.items():
            args += ['--cell', '%s=%s' % (name, url)]
        self.process = subprocess.Popen(
            args + list(self.extra_args), cwd=REPO, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(self.terminate)
        line = self.process.stdout.readline()
        if not line.startswith('READY'):
            self.test.fail('The conductor process did not start: %r' % line)
        self.transport = rpc_transport.get_transport(self.transport_url)
        self.addCleanup(self.transport.cleanup)
        self.api = rpc_api.get_conductor_api(self.transport,
                                             topic=self.topic)

    def terminate(self, timeout: float = 30) -> int | None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout)
        return self.process.returncode

    def kill(self) -> int:
        self.process.kill()
        return self.process.wait()


# -- flows --------------------------------------------------------------------

def walk(test: testtools.TestCase, migration, statuses, context=None
         ) -> list[str]:
    """Save ``migration`` through each status in turn; check every step.

    Each step must be a move Nova makes (``machines.where``) and must
    be what the database holds afterwards (read back through the
    conductor). Returns the steps, ``from -> to  nova/<where>``, which are
    also attached to the test's details.
    """
    context = context or migration._context
    steps = []
    for status in statuses:
        old = migration.status
        where = machines.where(migration.migration_type, old, status,
                               migration.cross_cell_move)
        test.assertIsNotNone(where, '%s -> %s is no Nova move of %s'
                             % (old, status, migration.migration_type))
        migration.status = status
        migration.save()
        stored = type(migration).get_by_uuid(context, migration.uuid)
        test.assertEqual(status, stored.status)
        steps.append('%-16s -> %-18s nova/%s' % (old, status, where))
    test.addDetail('steps %s' % migration.uuid[:8],
                   content.text_content('\n'.join(steps)))
    return steps


def new_migration(context, migration_type: str, status: str | None = None,
                  **kwargs):
    """A created ``Migration`` of a type, in its first initial status."""
    status = status or machines.initial_statuses(
        migration_type, kwargs.get('cross_cell_move', False))[0]
    kwargs.setdefault('instance_uuid', uuidutils.generate_uuid())
    kwargs.setdefault('old_instance_type_id', 1)
    kwargs.setdefault('new_instance_type_id',
                      2 if migration_type == MigrationType.RESIZE else 1)
    kwargs.setdefault('source_compute', 'src')
    kwargs.setdefault('dest_compute', 'dst')
    migration = objects.Migration(context, migration_type=migration_type,
                                  status=status, **kwargs)
    migration.create()
    return migration


def record_figures(**figures) -> None:
    """Append a JSON line of figures to the figures file, if one is set."""
    path = os.environ.get(FIGURES_ENV)
    if not path:
        return
    line = json.dumps(figures, sort_keys=True) + '\n'
    with open(path, 'a') as stream:
        stream.write(line)


class FunctionalTestCase(DatabaseTestCase):
    """Per scenario: fresh databases on its backend, a conductor, a context.

    Test modules apply the scenarios (``scenarios = fixtures.scenarios()``)
    with ``load_tests = test_fixtures.optimize_module_test_loader()``.
    """

    def setUp(self) -> None:
        super().setUp()
        warnings.filterwarnings('ignore', category=DeprecationWarning)
        sm_conf.register_opts(sm_conf.CONF)
        self.flags = self.useFixture(config_fixture.Config(sm_conf.CONF))
        # NOTE: the tests are written against strict; the default is warn.
        self.flags.config(enforcement=sm_conf.STRICT,
                          group=sm_conf.GROUP.name)
        self.database = Database(self)
        check_transport(self)
        self.conductor = self.useFixture(Conductor(self))
        self.context = sm_context.get_admin_context()
        self.context.user_id = 'functional-user'
        self.context.project_id = 'functional-project'

    def figures(self, **figures) -> None:
        """Record figures for this backend and transport."""
        figures.update(backend=self.database.backend,
                       transport=self.conductor.transport_name,
                       test=self.id())
        record_figures(**figures)
        self.addDetail('figures', content.json_content(figures))

    @property
    def api(self) -> rpc_api.ConductorAPI:
        return self.conductor.api

    def assert_went_through_conductor(self) -> None:
        self.assertIsInstance(objects_base.NovaObject.indirection_api,
                              rpc_api.ConductorAPI)
