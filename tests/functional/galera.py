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

"""A database on a MariaDB Galera cluster, one URL per node.

``GALERA_URLS`` (set by ``tools/galera.sh``) names the nodes: one
SQLAlchemy URL each, ``;``-separated. Tests that race writers on Galera
are loaded only when it is set; set, a node that cannot be reached fails
the test, never skips it. Nothing here imports the library.
"""

import os
import uuid

import fixtures
import sqlalchemy as sa
from sqlalchemy.engine import url as sa_url

URLS_ENV = 'GALERA_URLS'
BACKEND = 'galera'
CERTIFICATION_COUNTERS = ('wsrep_local_cert_failures',
                          'wsrep_local_bf_aborts')
"""Per node, the local transactions Galera aborted: a commit that failed
certification, or a transaction an applier of another node's write-set
aborted. Either reaches the client as a deadlock error."""


def node_urls() -> tuple[str, ...]:
    """The nodes' admin URLs (empty when ``GALERA_URLS`` is unset)."""
    return tuple(url for url in os.environ.get(URLS_ENV, '').split(';')
                 if url)


def _engine(url: str, sync_wait: bool = False) -> sa.engine.Engine:
    # NOTE: wsrep_sync_wait=1: a read waits until this node applied every
    # write-set the cluster committed before it (causal reads).
    args = {'init_command': 'SET SESSION wsrep_sync_wait = 1'} \
        if sync_wait else {}
    return sa.create_engine(url, poolclass=sa.pool.NullPool,
                            connect_args=args)


def causal_engine(url: str) -> sa.engine.Engine:
    """An engine whose reads see everything the cluster committed."""
    return _engine(url, sync_wait=True)


def wait_synced(urls) -> None:
    """Return once every node applied what the cluster committed."""
    for url in urls:
        engine = causal_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(sa.text('SELECT 1'))
        finally:
            engine.dispose()


def certification_failures(urls) -> int:
    """The cluster's aborted local transactions so far (all nodes)."""
    total = 0
    for url in urls:
        engine = _engine(url)
        try:
            with engine.connect() as conn:
                for name in CERTIFICATION_COUNTERS:
                    total += int(conn.execute(sa.text(
                        "SHOW GLOBAL STATUS LIKE '%s'" % name)).one()[1])
        finally:
            engine.dispose()
    return total


class GaleraDatabase(fixtures.Fixture):
    """A new database on the cluster, dropped afterwards.

    ``urls``: the database on each node (the first is where the test
    creates it); ``url``: the first.
    """

    def __init__(self, prefix: str = 'nmsm_galera') -> None:
        super().__init__()
        self.prefix = prefix

    def _setUp(self) -> None:
        admin = node_urls()
        if not admin:
            raise RuntimeError('%s is not set (tools/galera.sh)' % URLS_ENV)
        name = '%s_%s' % (self.prefix, uuid.uuid4().hex[:10])
        self._execute(admin[0], 'CREATE DATABASE %s' % name)
        self.addCleanup(self._execute, admin[0], 'DROP DATABASE %s' % name)
        self.urls = tuple(
            sa_url.make_url(url).set(database=name).render_as_string(
                hide_password=False) for url in admin)
        self.url = self.urls[0]

    @staticmethod
    def _execute(url: str, statement: str) -> None:
        engine = _engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(statement))
        finally:
            engine.dispose()
