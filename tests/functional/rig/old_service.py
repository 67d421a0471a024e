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

"""An "old" service that only knows Nova's ``Migration`` 1.8.

A rolling upgrade runs it next to 1.9 services. Every o.vo registry shares
one class table, so it must run in its own process::

    python -m tests.functional.rig.old_service --transport-url URL \
        --topic OLD_TOPIC --conductor-topic CONDUCTOR_TOPIC

There ``Migration`` is :class:`~nova_migration_sm.reference.objects.migration.
Nova34Migration` and ``NovaObject.indirection_api`` points at the (1.9)
conductor: objects it reads are backported for it, objects it saves are
loaded and checked there, and a 1.9 object sent to it is backported on
request (``object_backport_versions``). :class:`OldServiceAPI` is the 1.9
side's client; with ``version_cap='1.0'`` it backports before sending.
"""

import argparse
import sys
import warnings

import oslo_messaging
from oslo_versionedobjects import base as ovo_base

from nova_migration_sm.reference import objects
from nova_migration_sm.reference.objects import base as objects_base
from nova_migration_sm.reference.objects import migration
from nova_migration_sm.reference import rpc
from nova_migration_sm.reference.rpc import api as rpc_api
from nova_migration_sm.reference.rpc import serializer as rpc_serializer
from nova_migration_sm.reference.rpc import transport as rpc_transport
from tests.functional import rig

OBJECT_VERSIONS = {'1.0': {'Migration': '1.8'},
                   '1.1': {'Migration': '1.9'}}
"""The object versions each version of this RPC API receives."""


def use_nova_34_objects():
    """Make this process a Nova 34.0.0 one: ``Migration`` is 1.8 only."""
    classes = ovo_base.VersionedObjectRegistry.obj_classes()
    classes.pop('Migration', None)
    classes.pop('MigrationList', None)
    objects_base.NovaObjectRegistry.register(migration.Nova34Migration)
    objects.Migration = migration.Nova34Migration
    return migration.Nova34Migration


class OldServiceManager:
    """The old service's endpoint (RPC API 1.0: Migration 1.8)."""

    target = oslo_messaging.Target(version='1.0')

    def __init__(self, migration_cls, conductor_api) -> None:
        self.migration_cls = migration_cls
        self.conductor_api = conductor_api

    def describe(self, context, migration):
        """What arrived: class, version and status of a migration."""
        return {'class': type(migration).__name__,
                'version': migration.VERSION, 'status': migration.status,
                'backports': self.conductor_api.backports}

    def _run(self, fn, *args):
        try:
            return fn(*args)
        except Exception:
            raise oslo_messaging.ExpectedException()

    def get(self, context, migration_uuid):
        """Read a migration through the conductor (as 1.8)."""
        return self._run(self.migration_cls.get_by_uuid, context,
                         migration_uuid)

    def set_status(self, context, migration_uuid, status):
        """Read, set the status and save, all through the conductor."""
        def move():
            migration = self.migration_cls.get_by_uuid(context,
                                                       migration_uuid)
            migration.status = status
            migration.save()
            return migration
        return self._run(move)


class CountingConductorAPI:
    """The old side's conductor client, counting backport requests."""

    def __init__(self, api) -> None:
        self._api = api
        self.backports = 0

    def __bool__(self) -> bool:
        return bool(self._api)

    def __getattr__(self, name):
        return getattr(self._api, name)

    def object_backport_versions(self, context, objinst, object_versions):
        self.backports += 1
        return self._api.object_backport_versions(context, objinst,
                                                  object_versions)


class OldServiceAPI:
    """The 1.9 side's client of the old service.

    With ``version_cap`` '1.0' the sender knows the receiver is old and
    sends ``Migration`` 1.8 (manifest); without, it sends 1.9 and the
    receiver asks the conductor for a backport.
    """

    def __init__(self, transport, topic: str,
                 version_cap: str | None = None) -> None:
        manifest = OBJECT_VERSIONS[version_cap] if version_cap else None
        self.serializer = rpc_serializer.RequestContextSerializer(
            rpc_serializer.ManifestSerializer(manifest))
        self.client = rpc_transport.get_client(
            transport, self.serializer, topic=topic, version_cap=version_cap)

    def _call(self, context, method, **kwargs):
        try:
            return self.client.prepare(version='1.0').call(
                context, method, **kwargs)
        except Exception as error:
            raise rpc_api.unremote(error)

    def describe(self, context, migration) -> dict:
        return self._call(context, 'describe', migration=migration)

    def get(self, context, migration_uuid):
        return self._call(context, 'get', migration_uuid=migration_uuid)

    def set_status(self, context, migration_uuid, status):
        return self._call(context, 'set_status',
                          migration_uuid=migration_uuid, status=status)


def main(argv=None) -> int:
    warnings.filterwarnings('ignore', category=DeprecationWarning)
    parser = argparse.ArgumentParser(
        prog='python -m tests.functional.rig.old_service')
    parser.add_argument('--transport-url', required=True)
    parser.add_argument('--topic', required=True)
    parser.add_argument('--conductor-topic', default=rpc.TOPIC)
    args = parser.parse_args(argv)
    migration_cls = use_nova_34_objects()
    transport = rpc_transport.get_transport(args.transport_url)
    conductor_api = CountingConductorAPI(rpc_api.get_conductor_api(
        transport, topic=args.conductor_topic))
    objects_base.NovaObject.indirection_api = conductor_api
    server = rpc_transport.get_server(
        transport, [OldServiceManager(migration_cls, conductor_api)],
        rpc_serializer.RequestContextSerializer(), topic=args.topic,
        server='old')
    server.start()

    def stop():
        server.stop()
        server.wait()
        transport.cleanup()
    rig.serve_until_signalled(args.topic, stop)
    return 0


if __name__ == '__main__':
    sys.exit(main())
