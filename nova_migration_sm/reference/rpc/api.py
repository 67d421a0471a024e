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

"""The caller's side: Nova's ``ConductorAPI`` as an indirection API.

``nova/conductor/rpcapi.py`` (Nova 34.0.0): set an instance as
``NovaObject.indirection_api`` and remotable methods run in the
conductor. Its client is an oslo.messaging ``RPCClient``, or anything
with the same ``prepare()``/``call()`` (the tests use an in-process one).
"""

from oslo_versionedobjects import base as ovo_base

from nova_migration_sm.reference import rpc
from nova_migration_sm.reference.rpc import manager as rpc_manager
from nova_migration_sm.reference.rpc import serializer as rpc_serializer
from nova_migration_sm.reference.rpc import transport as rpc_transport

_REMOTE_POSTFIX = '_Remote'


def unremote(error: BaseException) -> BaseException:
    """The same exception as the class the remote side raised.

    oslo.messaging rebuilds an allowed remote exception as a subclass
    named ``<Class>_Remote`` whose text includes the remote traceback;
    give the caller the original class (same args and ``kwargs``).
    """
    cls = type(error)
    if (cls.__name__.endswith(_REMOTE_POSTFIX) and
            cls.__module__.endswith(_REMOTE_POSTFIX)):
        error.__class__ = cls.__bases__[0]
    return error


class ConductorAPI(ovo_base.VersionedObjectIndirectionAPI):
    """Client side of the conductor's object API (RPC API 1.0).

    False while the current thread itself serves as the conductor, so the
    object runs locally there (ovo tests ``if indirection_api:``).
    """

    def __init__(self, client) -> None:
        self.client = client

    def __bool__(self) -> bool:
        return not rpc_manager.is_serving()

    def _call(self, context, method: str, **kwargs):
        cctxt = self.client.prepare()
        try:
            return cctxt.call(context, method, **kwargs)
        except Exception as error:
            raise unremote(error)

    def object_class_action_versions(self, context, objname, objmethod,
                                     object_versions, args, kwargs):
        return self._call(context, 'object_class_action_versions',
                          objname=objname, objmethod=objmethod,
                          object_versions=object_versions, args=args,
                          kwargs=kwargs)

    def object_action(self, context, objinst, objmethod, args, kwargs):
        return self._call(context, 'object_action', objinst=objinst,
                          objmethod=objmethod, args=args, kwargs=kwargs)

    def object_backport_versions(self, context, objinst, object_versions):
        return self._call(context, 'object_backport_versions',
                          objinst=objinst, object_versions=object_versions)


def get_conductor_api(transport, topic: str = rpc.TOPIC,
                      serializer=None) -> ConductorAPI:
    """A :class:`ConductorAPI` over an oslo.messaging ``transport``."""
    serializer = serializer or rpc_serializer.RequestContextSerializer()
    return ConductorAPI(rpc_transport.get_client(transport, serializer,
                                                 topic=topic))
