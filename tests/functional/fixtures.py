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

Environment:

``NOVA_MIGRATION_SM_TEST_DB_URLS``
    ``;``-separated SQLAlchemy URLs; every test class runs once per URL
    (testscenarios). Default: SQLite in a temporary file. For PostgreSQL
    and MySQL/MariaDB the URL names a database the user may create
    databases from: each test class gets a fresh random one, dropped when
    the test process exits. ``sqlite://`` means a temporary file.
``RPC_TRANSPORT_URL``
    oslo.messaging URL (RabbitMQ) of the conductor; default: in-process.
``NOVA_MIGRATION_SM_REQUIRE_SERVERS=1``
    a configured server that cannot be reached fails the test instead of
    skipping it.
``NOVA_MIGRATION_SM_FIGURES_FILE``
    if set, tests append their figures (JSON lines) to it; see
    ``python -m tests.functional.figures``.
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
from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy.engine import url as sa_url
import testtools
from testtools import content

from nova_migration_sm import conf as sm_conf
from nova_migration_sm import context as sm_context
from nova_migration_sm.db import api as db
from nova_migration_sm import machines
from nova_migration_sm import objects
from nova_migration_sm.objects import base as objects_base
from nova_migration_sm import rpc
from nova_migration_sm.rpc import api as rpc_api
from nova_migration_sm.rpc import conductor as rpc_conductor
from nova_migration_sm.rpc import manager as rpc_manager
from nova_migration_sm.rpc import serializer as rpc_serializer
from nova_migration_sm.rpc import transport as rpc_transport
from nova_migration_sm.statuses import MigrationType

DB_URLS_ENV = 'NOVA_MIGRATION_SM_TEST_DB_URLS'
REQUIRE_ENV = 'NOVA_MIGRATION_SM_REQUIRE_SERVERS'
FIGURES_ENV = 'NOVA_MIGRATION_SM_FIGURES_FILE'
DEFAULT_DB_URL = 'sqlite://'
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def servers_required() -> bool:
    return os.environ.get(REQUIRE_ENV, '') not in ('', '0')


def backend_urls() -> list[str]:
    raw = os.environ.get(DB_URLS_ENV, '') or DEFAULT_DB_URL
    return [url.strip() for url in raw.split(';') if url.strip()]


def backend_name(url: str) -> str:
    return sa_url.make_url(url).get_backend_name()


def scenarios() -> list[tuple[str, dict]]:
    """One testscenarios scenario per configured database."""
    return [(backend_name(url), {'db_url': url}) for url in backend_urls()]


def unavailable(test: testtools.TestCase, what: str, error) -> None:
    """A missing server: skip, or fail when servers are required."""
    message = '%s is unavailable: %s' % (what, error)
    if servers_required():
        test.fail(message + ' (%s=1)' % REQUIRE_ENV)
    test.skipTest(message)


# -- databases --------------------------------------------------------------

_DATABASES: dict[tuple[str, str], str] = {}
_DROP: list = []
_TMPDIR = None
_CONFIGURED_URL = None
_LOCK = threading.Lock()


def _random_name() -> str:
    return 'nmsm_' + uuid.uuid4().hex[:12]


def _admin_engine(url):
    return sa.create_engine(url, isolation_level='AUTOCOMMIT',
                            poolclass=sa.pool.NullPool)


def create_database(base_url: str) -> str:
    """A fresh database on the server of ``base_url``; its URL.

    Dropped when the process exits.
    """
    global _TMPDIR
    url = sa_url.make_url(base_url)
    name = _random_name()
    backend = url.get_backend_name()
    if backend == 'sqlite':
        if _TMPDIR is None:
            _TMPDIR = tempfile.mkdtemp(prefix='nmsm-functional-')
            atexit.register(shutil.rmtree, _TMPDIR, True)
        return 'sqlite:///%s' % os.path.join(_TMPDIR, name + '.db')
    engine = _admin_engine(url)
    with engine.connect() as conn:
        conn.execute(sa.text('CREATE DATABASE %s' % name))
    engine.dispose()
    drop = ('DROP DATABASE IF EXISTS %s WITH (FORCE)'
            if backend == 'postgresql' else 'DROP DATABASE IF EXISTS %s')
    _DROP.append((url, drop % name))
    return url.set(database=name).render_as_string(hide_password=False)


@atexit.register
def _drop_databases() -> None:
    if db._main_context_manager is not None:
        db.dispose(db._main_context_manager)
    for url, statement in reversed(_DROP):
        engine = _admin_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(statement))
        except Exception as error:  # noqa: BLE001
            print('could not drop: %s: %s' % (statement, error),
                  file=sys.stderr)
        engine.dispose()


def class_database(key: str, base_url: str) -> str:
    """The database of one test class on one backend (made once)."""
    with _LOCK:
        if (key, base_url) not in _DATABASES:
            _DATABASES[(key, base_url)] = create_database(base_url)
        return _DATABASES[(key, base_url)]


class Database(fixtures.Fixture):
    """The main database of a test: its class's fresh DB on a backend.

    ``url`` is the database the DB API (and an in-process conductor) now
    uses; :meth:`add_cell` adds another database, a cell in Nova's terms.
    """

    def __init__(self, base_url: str, key: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.key = key
        self.backend = backend_name(base_url)

    def _setUp(self) -> None:
        global _CONFIGURED_URL
        self.url = class_database(self.key, self.base_url)
        if _CONFIGURED_URL != self.url:
            db.configure(self.url)
            _CONFIGURED_URL = self.url
            db.create_schema()

    def add_cell(self, name: str) -> sm_context.RequestContext:
        """Create the schema of cell ``name``; a context targeting it."""
        url = class_database('%s.%s' % (self.key, name), self.base_url)
        database = os.path.basename(sa_url.make_url(url).database)
        manager = rpc_serializer.register_cell(
            '%s.%s' % (name, database), url)
        context = sm_context.get_admin_context()
        context.db_connection = manager
        db.create_schema(context)
        return context

    def cell_url(self, name: str) -> str:
        return class_database('%s.%s' % (self.key, name), self.base_url)


# -- conductors -------------------------------------------------------------

_CONDUCTORS: dict[str | None, rpc_conductor.Conductor] = {}


def _check_reachable(url: str) -> None:
    parsed = sa_url.make_url(url.replace('rabbit://', 'mysql://', 1))
    with socket.create_connection((parsed.host or '127.0.0.1',
                                   parsed.port or 5672), timeout=3):
        pass


def shared_conductor(transport_url: str | None) -> rpc_conductor.Conductor:
    """This process's conductor on ``transport_url`` (one per process)."""
    with _LOCK:
        if transport_url not in _CONDUCTORS:
            if transport_url is not None:
                _check_reachable(transport_url)
            conductor = rpc_conductor.Conductor(
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
        self.transport_url = rpc_transport.transport_url_from_env()
        self.conductor = shared_conductor(self.transport_url)
        self.transport_name = ('rabbit' if self.transport_url
                               else 'in-process')
        self.api = self.conductor.api()
        self.useFixture(fixtures.MonkeyPatch(
            'nova_migration_sm.objects.base.NovaObject.indirection_api',
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
    url = rpc_transport.transport_url_from_env()
    if url is None:
        if needed:
            unavailable(test, 'A transport between processes',
                        '%s is not set' % rpc.TRANSPORT_URL_ENV)
        return
    _lock_broker(test, url)
    try:
        _check_reachable(url)
    except OSError as error:
        unavailable(test, 'RPC transport %s' % url, error)


class ConductorProcess(fixtures.Fixture):
    """A conductor in its own process (needs ``RPC_TRANSPORT_URL``).

    ``python -m nova_migration_sm.rpc.conductor``; :attr:`api` reaches it.
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
        self.transport_url = rpc_transport.transport_url_from_env()
        if self.transport_url is None:
            raise RuntimeError('%s is not set' % rpc.TRANSPORT_URL_ENV)
        self.topic = '%s.%s' % (rpc.TOPIC, uuid.uuid4().hex[:12])
        args = [sys.executable, '-W', 'ignore', '-m',
                'nova_migration_sm.rpc.conductor',
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


class FunctionalTestCase(testtools.TestCase):
    """Per scenario: a fresh DB on the backend, a conductor, a context.

    Subclasses set ``scenarios = fixtures_module.scenarios()`` (done by
    ``load_tests`` of each test module through testscenarios).
    """

    db_url = DEFAULT_DB_URL

    def setUp(self) -> None:
        super().setUp()
        warnings.filterwarnings('ignore', category=DeprecationWarning)
        self.flags = self.useFixture(config_fixture.Config(sm_conf.CONF))
        key = '%s.%s' % (type(self).__module__, type(self).__name__)
        self.database = Database(self.db_url, key)
        try:
            self.useFixture(self.database)
        except Exception as error:  # noqa: BLE001
            unavailable(self, 'Database %s' % backend_name(self.db_url),
                        error)
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
