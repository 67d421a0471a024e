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

"""What travels: primitives, remote ``save()`` and the import.

* ``obj_to_primitive`` + ``obj_from_primitive`` of a Migration 1.9 with a
  pending status move (so the seen status rides along) against its
  ``StringField`` twin, Nova 34.0.0's 1.8 fields, registered under another
  name for this process only so the registry resolves it to itself.
* A remote ``save()`` through the RPC conductor (in this process, over
  ``RPC_TRANSPORT_URL``) with the check on and off.
* ``import nova_migration_sm`` and its core modules in a fresh
  interpreter whose dependencies are already imported.
"""

import os
import statistics
import subprocess
import sys
import uuid

from oslo_versionedobjects import base as ovo_base

from benchmarks import harness
from benchmarks import persistence
from nova_migration_sm import conf as sm_conf
from nova_migration_sm.reference import context as sm_context
from nova_migration_sm.reference.db import api as db
from nova_migration_sm.reference import objects
from nova_migration_sm.reference.objects import base as objects_base
from nova_migration_sm.reference.objects import migration as migration_obj
from nova_migration_sm.statuses import MigrationStatus as S


@ovo_base.VersionedObjectRegistry.register
class StringStatusMigration(migration_obj.Nova34Migration):
    """Nova's 1.8 fields (``status`` a StringField), a name of its own."""

    @classmethod
    def obj_name(cls) -> str:
        return 'BenchStringStatusMigration'


_VALUES = dict(
    id=7, uuid='00000000-0000-4000-8000-000000000007',
    migration_type='live-migration', status=S.RUNNING,
    instance_uuid='00000000-0000-4000-8000-000000000008',
    source_compute='src', dest_compute='dst', source_node='src.node',
    dest_node='dst.node', dest_compute_id=3, dest_host='10.0.0.2',
    old_instance_type_id=1, new_instance_type_id=1, hidden=False,
    memory_total=1, memory_processed=1, memory_remaining=0, disk_total=1,
    disk_processed=1, disk_remaining=0, cross_cell_move=False,
    user_id='u', project_id='p', created_at=None, updated_at=None,
    deleted_at=None, deleted=False)


def _moving(cls):
    migration = cls(sm_context.get_admin_context(), **_VALUES)
    migration.obj_reset_changes()
    migration.status = S.COMPLETED
    return migration


def primitive_row(number: int, rounds: int) -> harness.Row:
    ctx = sm_context.get_admin_context()
    checked, plain = _moving(objects.Migration), _moving(
        StringStatusMigration)

    def round_trip(migration):
        return lambda: type(migration).obj_from_primitive(
            migration.obj_to_primitive(), ctx)

    for migration in (checked, plain):
        copy = round_trip(migration)()
        assert type(copy) is type(migration), copy
    times = harness.interleaved(
        {'1.9': harness.loop(round_trip(checked)),
         'string': harness.loop(round_trip(plain))}, number, rounds)
    return harness.Row(
        'Migration 1.9 to+from primitive', 'the same, StringField status',
        times['1.9'], times['string'], '<= 1.05x', 1.05,
        note='a pending move: the 1.9 primitive carries the seen status')


def remote_row(number: int, rounds: int) -> harness.Row | None:
    """strict vs off remote save(); None without ``RPC_TRANSPORT_URL``."""
    url = os.environ.get('RPC_TRANSPORT_URL')
    if not url:
        return None
    from tests.functional.rig import conductor as rpc_conductor
    backends = persistence.server_backends()
    backend = backends[0] if backends else 'sqlite'
    with persistence.private_database(backend) as db_url:
        db.configure(db_url)
        db.create_schema()
        conductor = rpc_conductor.Conductor(
            url, topic='nmsm_bench_%s' % uuid.uuid4().hex[:8]).start()
        objects_base.NovaObject.indirection_api = conductor.api()
        try:
            ctx = sm_context.get_admin_context()
            found = harness.samples(
                {mode: persistence.moves(
                    lambda: persistence.evacuation(ctx), mode)
                 for mode in (sm_conf.STRICT, sm_conf.OFF)},
                number, rounds)
        finally:
            objects_base.NovaObject.indirection_api = None
            conductor.stop()
            db.dispose(db._manager(None))
    return harness.Row(
        'remote save() strict, RabbitMQ + %s' % backend,
        'remote save() enforcement=off',
        statistics.median(found[sm_conf.STRICT]),
        statistics.median(found[sm_conf.OFF]), '<= 1.03x', 1.03,
        paired=harness.paired_ratio(found, sm_conf.STRICT, sm_conf.OFF))


DEPENDENCIES = (
    'automaton.machines', 'oslo_config.cfg', 'oslo_context.context',
    'oslo_db.sqlalchemy.enginefacade', 'oslo_db.sqlalchemy.models',
    'oslo_log.log', 'oslo_utils.timeutils', 'oslo_utils.uuidutils',
    'oslo_utils.versionutils', 'oslo_versionedobjects.base',
    'oslo_versionedobjects.exception', 'oslo_versionedobjects.fields',
    'sqlalchemy', 'sqlalchemy.orm')
CORE = ('nova_migration_sm', 'nova_migration_sm.machines',
        'nova_migration_sm.fields', 'nova_migration_sm.mixin')
"""What a Nova drop-in imports: the machines, the field and the mixin."""
REFERENCE = CORE + ('nova_migration_sm.reference.objects.migration',)
"""Plus the reference objects and their SQLAlchemy model (info only)."""
_IMPORT = '''
import importlib, time, warnings
warnings.simplefilter('ignore')
for name in %r:
    importlib.import_module(name)
start = time.perf_counter()
for name in %r:
    importlib.import_module(name)
print(time.perf_counter() - start)
'''


def _import_times(modules, rounds: int) -> list[float]:
    script = _IMPORT % (DEPENDENCIES, modules)
    return [float(subprocess.run(
        [sys.executable, '-c', script], check=True, capture_output=True,
        text=True).stdout) for _ in range(rounds)]


def import_rows(rounds: int) -> list[harness.Row]:
    rows = []
    for label, modules, target, limit in (
            ('import nova_migration_sm (+machines, fields, mixin)', CORE,
             '<= 20 ms', 0.020),
            ('import the above + reference objects (SQL model)', REFERENCE,
             '(info)', 0)):
        took = _import_times(modules, rounds)
        rows.append(harness.Row(
            label, '(dependencies already imported)', min(took), None,
            target, limit, note='min of %d fresh interpreters; median '
            '%.1f ms' % (rounds, statistics.median(took) * 1e3)))
    return rows
