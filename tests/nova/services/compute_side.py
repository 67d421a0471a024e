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

"""A compute-side process: Nova's compute start-up, then status saves.

Run by the Python of a Nova venv, 34.0.0 with the integration or a plain
33.0.2 (no nova_migration_sm), never importing this repository::

    PYTHON compute_side.py --config-file nova.conf --backend eventlet

It starts the way ``nova/cmd/compute.py`` ``main()`` does (monkey patching
first, ``config.parse_args()``, which runs ``rpc.init()``, then
``objects.register_all()``, no database access, every object call
remoted to the conductor through ``conductor_rpcapi.ConductorAPI``), and
waits for the conductor as ``nova/service.py`` ``Service.__init__`` does
(``conductor_api.wait_until_ready``). It then reads one JSON command a
line on stdin and answers each with one JSON line on stdout:

``{"op": "info"}``
    Nova's version, whether nova_migration_sm is importable, the versions
    of ``Migration`` in the object registry and ``rpc.ALLOWED_EXMODS``.
``{"op": "save", "id": ID, "status": STATUS}``
    ``Migration.get_by_id`` (the conductor's ``object_class_action_versions``
    backports to what this process knows), then ``status = STATUS`` and
    ``save()`` (``object_action``), as the compute manager writes a move.
``{"op": "receive", "primitive": PRIMITIVE[, "status": STATUS]}``
    Deserialize a migration as the compute's RPC server does on receipt
    (``NovaObjectSerializer``; a version this process does not know is
    backported by the conductor's ``object_backport_versions``), and
    optionally save a status move on it.

A refused save is answered with how it was caught: ``"refusal"`` (the
library's ``InvalidMigrationStatusTransition``, where importable) or
``"RemoteError"`` (oslo.messaging's stand-in for a class this process
may not rebuild), with the exception's class, module, ``exc_type`` and
message.
"""

import argparse
import sys

parser = argparse.ArgumentParser()
parser.add_argument('--config-file', required=True)
parser.add_argument('--backend', choices=('eventlet', 'threading'),
                    required=True,
                    help="what this release's nova/cmd/compute.py passes "
                         "to monkey_patch.patch()")
ARGS = parser.parse_args()

from nova import monkey_patch  # noqa: E402
monkey_patch.patch(backend=ARGS.backend)

import importlib.util  # noqa: E402
import json  # noqa: E402

from nova.conductor import api as conductor_api  # noqa: E402
from nova.conductor import rpcapi as conductor_rpcapi  # noqa: E402
from nova import config  # noqa: E402
from nova import context as nova_context  # noqa: E402
import nova.db.main.api  # noqa: E402
from nova import objects  # noqa: E402
from nova.objects import base as objects_base  # noqa: E402
from nova import rpc  # noqa: E402
from nova import version  # noqa: E402
import oslo_messaging  # noqa: E402

HAS_LIBRARY = importlib.util.find_spec('nova_migration_sm') is not None
if HAS_LIBRARY:
    from nova_migration_sm.exceptions import \
        InvalidMigrationStatusTransition as REFUSAL  # noqa: E402
else:
    class REFUSAL(Exception):
        """Never raised: this release cannot import the library."""


def start() -> nova_context.RequestContext:
    """nova/cmd/compute.py main() up to Service.create, then the wait."""
    config.parse_args([sys.argv[0], '--config-file', ARGS.config_file])
    objects.register_all()
    nova.db.main.api.DISABLE_DB_ACCESS = True
    objects_base.NovaObject.indirection_api = \
        conductor_rpcapi.ConductorAPI()
    context = nova_context.get_admin_context()
    conductor_api.API().wait_until_ready(context)
    return context


def describe(migration) -> dict:
    cls = type(migration)
    return {'version': migration.VERSION, 'status': migration.status,
            'class': '%s.%s' % (cls.__module__, cls.__qualname__)}


def error_reply(caught: str, error: Exception) -> dict:
    return {'ok': False, 'caught': caught,
            'class': type(error).__name__,
            'module': type(error).__module__,
            'mro': [c.__name__ for c in type(error).__mro__],
            'exc_type': getattr(error, 'exc_type', None),
            'value': getattr(error, 'value', None),
            'message': str(error)}


def save(migration, status: str) -> dict:
    """One status move, as the compute manager writes it."""
    loaded = describe(migration)
    migration.status = status
    try:
        migration.save()
    except REFUSAL as error:
        return dict(error_reply('refusal', error), loaded=loaded)
    except oslo_messaging.RemoteError as error:
        return dict(error_reply('RemoteError', error), loaded=loaded)
    return {'ok': True, 'loaded': loaded, 'saved': describe(migration)}


def handle(context, command: dict) -> dict:
    op = command['op']
    if op == 'info':
        registry = objects_base.NovaObjectRegistry.obj_classes()
        return {'ok': True, 'nova': version.version_string(),
                'library': HAS_LIBRARY,
                'migration_versions': [
                    c.VERSION for c in registry['Migration']],
                'allowed_exmods': list(rpc.ALLOWED_EXMODS)}
    if op == 'save':
        migration = objects.Migration.get_by_id(context, command['id'])
        return save(migration, command['status'])
    if op == 'receive':
        serializer = objects_base.NovaObjectSerializer()
        migration = serializer.deserialize_entity(context,
                                                  command['primitive'])
        if 'status' in command:
            return save(migration, command['status'])
        return {'ok': True, 'loaded': describe(migration)}
    raise ValueError('unknown op %r' % op)


def main() -> None:
    context = start()
    print(json.dumps({'ok': True, 'ready': True}), flush=True)
    for line in sys.stdin:
        try:
            reply = handle(context, json.loads(line))
        except Exception as error:  # noqa: BLE001 - reported to the test
            reply = error_reply('other', error)
        print(json.dumps(reply), flush=True)


if __name__ == '__main__':
    main()
