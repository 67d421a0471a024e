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

"""A minimal copy of Nova's object base classes (``nova/objects/base.py``).

Same namespaces as Nova (``nova_object`` / ``nova``), so primitives of
Nova's own objects load here and ours load in Nova.
"""

from oslo_utils import versionutils
from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects import fields

remotable = ovo_base.remotable
remotable_classmethod = ovo_base.remotable_classmethod
obj_make_list = ovo_base.obj_make_list
ObjectListBase = ovo_base.ObjectListBase


class NovaObjectRegistry(ovo_base.VersionedObjectRegistry):
    """Keeps ``reference.objects.<Name>`` the newest registered version."""

    def registration_hook(self, cls, index):
        from nova_migration_sm.reference import objects
        current = getattr(objects, cls.obj_name(), None)
        version = versionutils.convert_version_to_tuple(cls.VERSION)
        if current is None or version >= \
                versionutils.convert_version_to_tuple(current.VERSION):
            setattr(objects, cls.obj_name(), cls)


class NovaObject(ovo_base.VersionedObject):
    """Base of the reference objects, in Nova's namespaces."""

    OBJ_SERIAL_NAMESPACE = 'nova_object'
    OBJ_PROJECT_NAMESPACE = 'nova'


class NovaPersistentObject:
    """The timestamp and soft-delete fields of Nova's persistent objects."""

    fields = {
        'created_at': fields.DateTimeField(nullable=True),
        'updated_at': fields.DateTimeField(nullable=True),
        'deleted_at': fields.DateTimeField(nullable=True),
        'deleted': fields.BooleanField(default=False),
    }


class NovaObjectSerializer(ovo_base.VersionedObjectSerializer):
    """Serializes the reference objects over oslo.messaging."""

    OBJ_BASE_CLASS = NovaObject
