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

"""The conductor's endpoint: Nova's object methods of ``ConductorManager``.

``object_class_action_versions``, ``object_action`` and
``object_backport_versions`` as in ``nova/conductor/manager.py``
(Nova 34.0.0). While the endpoint serves a call, objects run locally in
its thread (:func:`serving`), as they do in nova-conductor, whose
``indirection_api`` is None, even when the conductor shares its process
with callers that use the indirection API.
"""

import contextlib
import threading

from oslo_log import log as logging
import oslo_messaging
from oslo_utils import versionutils

from nova_migration_sm.reference.objects import base as objects_base
from nova_migration_sm.reference.rpc import serializer as rpc_serializer

LOG = logging.getLogger(__name__)

_LOCAL = threading.local()


@contextlib.contextmanager
def serving():
    """Run objects locally in this thread: it acts as the conductor."""
    _LOCAL.depth = getattr(_LOCAL, 'depth', 0) + 1
    try:
        yield
    finally:
        _LOCAL.depth -= 1


def is_serving() -> bool:
    """Whether this thread is acting as the conductor right now."""
    return getattr(_LOCAL, 'depth', 0) > 0


class ConductorSerializer(rpc_serializer.RequestContextSerializer):
    """The conductor side: (de)serializes while :func:`serving`.

    Deserializing may need a backport, which must run here and never go
    back through the indirection API.
    """

    def serialize_entity(self, context, entity):
        with serving():
            return super().serialize_entity(context, entity)

    def deserialize_entity(self, context, entity):
        with serving():
            return super().deserialize_entity(context, entity)


class ConductorManager:
    """Nova's ``ConductorManager`` object methods (RPC API 1.0)."""

    target = oslo_messaging.Target(version='1.0')

    def _object_dispatch(self, target, method, args, kwargs):
        """Call an object method; hand its error back unlogged."""
        try:
            return getattr(target, method)(*args, **kwargs)
        except Exception:
            raise oslo_messaging.ExpectedException()

    def object_class_action_versions(self, context, objname, objmethod,
                                     object_versions, args, kwargs):
        """A remotable classmethod (``Migration.get_by_uuid``...)."""
        with serving():
            objclass = objects_base.NovaObject.obj_class_from_name(
                objname, object_versions[objname])
            args = tuple([context] + list(args))
            result = self._object_dispatch(objclass, objmethod, args, kwargs)
            # NOTE: as Nova, honour the version the caller asked for, but
            # never convert an object to a newer one (bug 1596119).
            if isinstance(result, objects_base.NovaObject):
                target_version = object_versions[objname]
                requested = versionutils.convert_version_to_tuple(
                    target_version)
                actual = versionutils.convert_version_to_tuple(
                    result.VERSION)
                if requested < actual or requested[0] != actual[0]:
                    result = result.obj_to_primitive(
                        target_version=target_version,
                        version_manifest=object_versions)
            return result

    def object_action(self, context, objinst, objmethod, args, kwargs):
        """A remotable method (``save()``, ``create()``) on an object.

        Returns the changed fields and the method's result; on error the
        caller's object is left as it was.
        """
        with serving():
            oldobj = objinst.obj_clone()
            result = self._object_dispatch(objinst, objmethod, args, kwargs)
            updates = {}
            for name, field in objinst.fields.items():
                if not objinst.obj_attr_is_set(name):
                    continue
                if (not oldobj.obj_attr_is_set(name) or
                        getattr(oldobj, name) != getattr(objinst, name)):
                    updates[name] = field.to_primitive(
                        objinst, name, getattr(objinst, name))
            updates['obj_what_changed'] = objinst.obj_what_changed()
            return updates, result

    def object_backport_versions(self, context, objinst, object_versions):
        """The primitive of ``objinst`` at the versions the caller knows."""
        with serving():
            target = object_versions[objinst.obj_name()]
            LOG.debug('Backporting %(obj)s to %(ver)s with versions '
                      '%(manifest)s',
                      {'obj': objinst.obj_name(), 'ver': target,
                       'manifest': ','.join(
                           '%s=%s' % item
                           for item in sorted(object_versions.items()))})
            return objinst.obj_to_primitive(target_version=target,
                                            version_manifest=object_versions)
