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

"""``Migration.save()`` of a status move: checked (strict) against off.

Every timed save is a real status move, ``pre-migrating -> done`` of an
evacuation: the rows are created and walked to ``pre-migrating`` before
the clock starts (no lifecycle goes round in a circle). Strict writes with
one conditional ``UPDATE ... WHERE status IN (<seen>)``; off writes Nova's
plain ``UPDATE``; both read the row back once.
"""

import contextlib
import os
import statistics
import tempfile
import uuid

from oslo_db.sqlalchemy import provision

from benchmarks import harness
from nova_migration_sm import conf as sm_conf
from nova_migration_sm.reference import context as sm_context
from nova_migration_sm.reference.db import api as db
from nova_migration_sm.reference import objects
from nova_migration_sm.statuses import MigrationStatus as S
from nova_migration_sm.statuses import MigrationType as T

objects.register_all()

URLS_ENV = 'OS_TEST_DBAPI_ADMIN_CONNECTION'


@contextlib.contextmanager
def private_database(backend: str):
    """Yield the URL of a new, empty database, dropped afterwards.

    ``sqlite`` is a file in a temporary directory; a server backend is
    provisioned by oslo.db through ``OS_TEST_DBAPI_ADMIN_CONNECTION``.
    """
    if backend == 'sqlite':
        with tempfile.TemporaryDirectory() as tmp:
            yield 'sqlite:///%s' % os.path.join(tmp, 'bench.db')
        return
    server = provision.Backend.backend_for_database_type(backend)
    name = 'nmsm_%s' % uuid.uuid4().hex[:12]
    server.create_named_database(name)
    try:
        yield server.provisioned_database_url(name).render_as_string(
            hide_password=False)
    finally:
        server.drop_named_database(name)


def server_backends() -> list[str]:
    """Server backends named in ``OS_TEST_DBAPI_ADMIN_CONNECTION``."""
    found = []
    for url in os.environ.get(URLS_ENV, '').split(';'):
        for backend in ('postgresql', 'mysql'):
            if url.startswith(backend) and backend not in found:
                found.append(backend)
    return found


def evacuation(ctx) -> objects.Migration:
    """A created evacuation row, walked to ``pre-migrating``."""
    migration = objects.Migration(
        ctx, migration_type=T.EVACUATION, status=S.ACCEPTED,
        instance_uuid=str(uuid.uuid4()), old_instance_type_id=1,
        new_instance_type_id=1, source_compute='src', dest_compute='dst')
    migration.create()
    migration.status = S.PRE_MIGRATING
    migration.save()
    return migration


def moves(make, enforcement: str) -> harness.Batch:
    """A batch of ``save()`` calls, each one a status move.

    ``make()`` returns an object in ``pre-migrating``; the objects are
    made before the clock starts.
    """
    def batch(n: int) -> float:
        migrations = [make() for _ in range(n)]
        for migration in migrations:
            migration.status = S.DONE
        sm_conf.register_opts(sm_conf.CONF)
        sm_conf.CONF.set_override('enforcement', enforcement,
                                  sm_conf.GROUP.name)
        try:
            start = harness.clock()
            for migration in migrations:
                migration.save()
            return harness.clock() - start
        finally:
            sm_conf.CONF.clear_override('enforcement', sm_conf.GROUP.name)
    return batch


def save_row(backend: str, number: int, rounds: int) -> harness.Row:
    """strict vs off ``save()`` on a private database of ``backend``."""
    with private_database(backend) as url:
        db.configure(url)
        try:
            db.create_schema()
            ctx = sm_context.get_admin_context()
            found = harness.samples(
                {'strict': moves(lambda: evacuation(ctx), sm_conf.STRICT),
                 'off': moves(lambda: evacuation(ctx), sm_conf.OFF)},
                number, rounds)
        finally:
            db.dispose(db._manager(None))
    label = 'file' if backend == 'sqlite' else 'server'
    return harness.Row(
        'save() strict, %s %s' % (backend, label), 'save() enforcement=off',
        statistics.median(found['strict']), statistics.median(found['off']),
        '<= 1.03x', 1.03,
        paired=harness.paired_ratio(found, 'strict', 'off'))


class _StubRow(dict):
    """What the DB API returns, without a database."""


def _stub_update(context, migration_id, values, expected_statuses=None):
    row = _StubRow(_STUB_ROW)
    row.update(values)
    return row


_STUB_ROW = {}


def cpu_row(number: int, rounds: int) -> harness.Row:
    """strict vs off ``save()`` with the DB API replaced by a stub.

    The cost our code adds to a save, free of disk and network noise.
    """
    ctx = sm_context.get_admin_context()
    migrations = {}
    with private_database('sqlite') as url:
        db.configure(url)
        try:
            db.create_schema()
            for mode in (sm_conf.STRICT, sm_conf.OFF):
                migrations[mode] = evacuation(ctx)
            _STUB_ROW.update(db.migration_get(ctx, migrations['off'].id))
        finally:
            db.dispose(db._manager(None))
    real = db.migration_update
    db.migration_update = _stub_update
    try:
        times = harness.interleaved(
            {mode: moves(m.obj_clone, mode)
             for mode, m in migrations.items()}, number, rounds)
    finally:
        db.migration_update = real
    return harness.Row(
        'save() strict, DB API stubbed', 'save() enforcement=off, stubbed',
        times[sm_conf.STRICT], times[sm_conf.OFF], '(info)', 0.0,
        note='strict adds %.1f us of CPU per save (the check, the seen '
             'status, two option reads)' % (
                 (times[sm_conf.STRICT] - times[sm_conf.OFF]) * 1e6))


def rows(number: int, rounds: int) -> list[harness.Row]:
    return [cpu_row(number * 20, rounds)] + [
        save_row(backend, number, rounds)
        for backend in ['sqlite'] + server_backends()]
