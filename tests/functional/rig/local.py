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


"""An in-process channel to the conductor, without oslo.messaging.

``fake:/`` costs 50 ms a call (its listener polls); :class:`LocalClient`
round-trips every call through the same serializers and JSON and serves
it in the calling thread.
"""

import oslo_messaging
from oslo_serialization import jsonutils

from nova_migration_sm.reference.rpc import api as rpc_api
from nova_migration_sm.reference.rpc import manager as rpc_manager
from nova_migration_sm.reference.rpc import serializer as rpc_serializer


class LocalClient:
    """An in-process stand-in for an oslo.messaging ``RPCClient``.

    Every call goes through the caller's serializer, JSON, the
    conductor's serializer and back, as over a real transport, and the
    endpoint serves it in the calling thread.
    """

    def __init__(self, endpoint=None, serializer=None) -> None:
        self.endpoint = endpoint or rpc_manager.ConductorManager()
        self.serializer = (serializer or
                           rpc_serializer.RequestContextSerializer())
        self.server_serializer = rpc_manager.ConductorSerializer()

    def prepare(self, **kwargs) -> 'LocalClient':
        return self

    def can_send_version(self, version: str) -> bool:
        return True

    @staticmethod
    def _wire(value):
        return jsonutils.loads(jsonutils.dumps(value))

    def call(self, context, method: str, **kwargs):
        wire_ctxt = self._wire(self.serializer.serialize_context(context))
        wire_args = {name: self._wire(self.serializer.serialize_entity(
            context, value)) for name, value in kwargs.items()}
        with rpc_manager.serving():
            server = self.server_serializer
            ctxt = server.deserialize_context(wire_ctxt)
            args = {name: server.deserialize_entity(ctxt, value)
                    for name, value in wire_args.items()}
            try:
                result = getattr(self.endpoint, method)(ctxt, **args)
            except oslo_messaging.ExpectedException as wrapped:
                raise wrapped.exc_info[1]
            wire_result = self._wire(server.serialize_entity(ctxt, result))
        return self.serializer.deserialize_entity(context, wire_result)


def get_conductor_api(serializer=None) -> rpc_api.ConductorAPI:
    """A ``ConductorAPI`` whose calls are served in this thread."""
    serializer = serializer or rpc_serializer.RequestContextSerializer()
    return rpc_api.ConductorAPI(LocalClient(serializer=serializer))
