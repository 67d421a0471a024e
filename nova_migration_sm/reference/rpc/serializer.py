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

"""Serializers: request contexts, cells and version manifests over RPC.

Nova's ``nova/rpc.py`` ``RequestContextSerializer`` around
``NovaObjectSerializer``. The context also carries the name of the cell
database it targets (:func:`register_cell`), so a conductor runs the
DB API against the same cell as its caller.
"""

import copy
import threading

from oslo_messaging import serializer as om_serializer

from nova_migration_sm.reference import context as sm_context
from nova_migration_sm.reference.db import api as db
from nova_migration_sm.reference.objects import base as objects_base

CELL_KEY = 'nova_migration_sm.cell'
"""Context dict key: name of the cell database (absent: the main one)."""

_CELLS: dict = {}
_CELLS_LOCK = threading.Lock()


def register_cell(name: str, url: str):
    """Register (once) a cell database by name; return its context manager.

    Both sides of an RPC call register the same name; the manager is the
    ``db_connection`` of a context that targets that cell.
    """
    with _CELLS_LOCK:
        if name not in _CELLS:
            _CELLS[name] = (url, db.new_context_manager(url))
        elif _CELLS[name][0] != url:
            raise ValueError('Cell %r is already %s' % (name, _CELLS[name][0]))
        return _CELLS[name][1]


def unregister_cell(name: str) -> None:
    """Forget a cell and close its connections."""
    with _CELLS_LOCK:
        entry = _CELLS.pop(name, None)
    if entry is not None:
        db.dispose(entry[1])


def target_cell(context, name: str | None):
    """A copy of ``context`` that targets the named cell (None: main).

    Nova's ``nova.context.target_cell``, by cell name.
    """
    clone = copy.copy(context)
    with _CELLS_LOCK:
        clone.db_connection = None if name is None else _CELLS[name][1]
    return clone


def cell_name(context) -> str | None:
    """The registered name of the cell ``context`` targets, or None."""
    manager = getattr(context, 'db_connection', None)
    if manager is None:
        return None
    with _CELLS_LOCK:
        for name, (_, registered) in _CELLS.items():
            if registered is manager:
                return name
    raise ValueError('The context targets a database that is not a '
                     'registered cell; use register_cell().')


class ManifestSerializer(objects_base.NovaObjectSerializer):
    """Sends each object at the version a manifest gives for its name.

    Used by a sender that knows its receiver is older (Nova's version
    caps): ``{'Migration': '1.8'}`` backports before sending.
    """

    def __init__(self, version_manifest: dict | None = None) -> None:
        super().__init__()
        self.version_manifest = version_manifest

    def serialize_entity(self, context, entity):
        if (self.version_manifest and
                isinstance(entity, objects_base.NovaObject) and
                entity.obj_name() in self.version_manifest):
            return entity.obj_to_primitive(
                target_version=self.version_manifest[entity.obj_name()],
                version_manifest=self.version_manifest)
        return super().serialize_entity(context, entity)


class RequestContextSerializer(om_serializer.Serializer):
    """Nova's: contexts as dicts (plus the cell), entities by ``base``."""

    def __init__(self, base: om_serializer.Serializer | None = None) -> None:
        self._base = base or ManifestSerializer()

    def serialize_entity(self, context, entity):
        return self._base.serialize_entity(context, entity)

    def deserialize_entity(self, context, entity):
        return self._base.deserialize_entity(context, entity)

    def serialize_context(self, context) -> dict:
        values = context.to_dict()
        name = cell_name(context)
        if name is not None:
            values[CELL_KEY] = name
        return values

    def deserialize_context(self, context: dict):
        values = dict(context)
        name = values.pop(CELL_KEY, None)
        result = sm_context.RequestContext.from_dict(values)
        if name is not None:
            with _CELLS_LOCK:
                result.db_connection = _CELLS[name][1]
        return result
