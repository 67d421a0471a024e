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

"""The reference versioned ``Migration``: Nova 34.0.0's 1.8, and 1.9.

:class:`Nova34Migration` is Nova's ``Migration`` 1.8 as Nova 34.0.0 has it
(``nova/objects/migration.py``): same fields, history, remotable methods
and ``obj_make_compatible``, hence the same fingerprint. No class here
registers on import: :func:`nova_migration_sm.reference.objects.register_all`
registers :class:`Migration` and :class:`MigrationList`, and an old
service registers :class:`Nova34Migration` to speak 1.8. :class:`Migration`
1.9 adds the state machine: ``status`` becomes a
:class:`MigrationStatusField` and ``create()``/``save()`` are checked.
Statuses added later are refused to older receivers
(:data:`nova_migration_sm.fields.STATUSES_ADDED_AFTER_1_9`).
"""

from oslo_utils import uuidutils
from oslo_utils import versionutils
from oslo_versionedobjects import exception as ovo_exception
from oslo_versionedobjects import fields

from nova_migration_sm import fields as sm_fields
from nova_migration_sm import machines
from nova_migration_sm import mixin
from nova_migration_sm.reference.db import api as db
from nova_migration_sm.reference.objects import base
from nova_migration_sm.statuses import MigrationType


# Nova's module has it; the type inference itself lives in the core.
determine_migration_type = machines.determine_migration_type


class Nova34Migration(base.NovaPersistentObject, base.NovaObject):
    """Nova 34.0.0's ``Migration`` 1.8, with a plain string status."""

    # Version 1.0: Initial version
    # Version 1.1: String attributes updated to support unicode
    # Version 1.2: Added migration_type and hidden
    # Version 1.3: Added get_by_id_and_instance()
    # Version 1.4: Added migration progress detail
    # Version 1.5: Added uuid
    # Version 1.6: Added cross_cell_move and get_by_uuid().
    # Version 1.7: Added user_id and project_id
    # Version 1.8: Added dest_compute_id
    VERSION = '1.8'

    fields = {
        'id': fields.IntegerField(),
        'uuid': fields.UUIDField(),
        'source_compute': fields.StringField(nullable=True),
        'dest_compute': fields.StringField(nullable=True),
        'source_node': fields.StringField(nullable=True),
        'dest_node': fields.StringField(nullable=True),
        'dest_compute_id': fields.IntegerField(nullable=True),
        'dest_host': fields.StringField(nullable=True),
        'old_instance_type_id': fields.IntegerField(nullable=True),
        'new_instance_type_id': fields.IntegerField(nullable=True),
        'instance_uuid': fields.StringField(nullable=True),
        'status': fields.StringField(nullable=True),
        'migration_type': sm_fields.MigrationTypeField(nullable=False),
        'hidden': fields.BooleanField(nullable=False, default=False),
        'memory_total': fields.IntegerField(nullable=True),
        'memory_processed': fields.IntegerField(nullable=True),
        'memory_remaining': fields.IntegerField(nullable=True),
        'disk_total': fields.IntegerField(nullable=True),
        'disk_processed': fields.IntegerField(nullable=True),
        'disk_remaining': fields.IntegerField(nullable=True),
        'cross_cell_move': fields.BooleanField(default=False),
        'user_id': fields.StringField(nullable=True),
        'project_id': fields.StringField(nullable=True),
        **base.NovaPersistentObject.fields,
    }

    @classmethod
    def obj_name(cls) -> str:
        return 'Migration'

    @staticmethod
    def _from_db_object(context, migration, db_migration):
        for key in migration.fields:
            value = db_migration[key]
            if key == 'migration_type' and value is None:
                value = determine_migration_type(db_migration)
            elif key == 'uuid' and value is None:
                continue
            setattr(migration, key, value)
        migration._context = context
        migration.obj_reset_changes()
        migration._ensure_uuid()
        return migration

    def obj_make_compatible(self, primitive, target_version):
        super().obj_make_compatible(primitive, target_version)
        target_version = versionutils.convert_version_to_tuple(target_version)
        if target_version < (1, 2):
            if 'migration_type' in primitive:
                del primitive['migration_type']
                del primitive['hidden']
        if target_version < (1, 4):
            if 'memory_total' in primitive:
                for key in ('memory_total', 'memory_processed',
                            'memory_remaining', 'disk_total',
                            'disk_processed', 'disk_remaining'):
                    del primitive[key]
        if target_version < (1, 5):
            if 'uuid' in primitive:
                del primitive['uuid']
        if target_version < (1, 6) and 'cross_cell_move' in primitive:
            del primitive['cross_cell_move']
        if target_version < (1, 7):
            if 'user_id' in primitive:
                del primitive['user_id']
            if 'project_id' in primitive:
                del primitive['project_id']
        if target_version < (1, 8):
            primitive.pop('dest_compute_id', None)

    def obj_load_attr(self, attrname):
        if attrname == 'migration_type':
            self.migration_type = determine_migration_type(self)
        elif attrname in ['hidden', 'cross_cell_move']:
            self.obj_set_defaults(attrname)
        else:
            super().obj_load_attr(attrname)

    def _ensure_uuid(self):
        if 'uuid' in self:
            return
        self.uuid = uuidutils.generate_uuid()
        self.save()

    def status_write_condition(self) -> dict:
        """No condition: Nova's own save is a blind UPDATE.

        :class:`~nova_migration_sm.mixin.MigrationStateMachineMixin`
        overrides it while a checked save writes.
        """
        return {}

    @base.remotable_classmethod
    def get_by_uuid(cls, context, migration_uuid):
        db_migration = db.migration_get_by_uuid(context, migration_uuid)
        return cls._from_db_object(context, cls(), db_migration)

    @base.remotable_classmethod
    def get_by_id(cls, context, migration_id):
        db_migration = db.migration_get(context, migration_id)
        return cls._from_db_object(context, cls(), db_migration)

    @base.remotable_classmethod
    def get_by_id_and_instance(cls, context, migration_id, instance_uuid):
        db_migration = db.migration_get_by_id_and_instance(
            context, migration_id, instance_uuid)
        return cls._from_db_object(context, cls(), db_migration)

    @base.remotable_classmethod
    def get_by_instance_and_status(cls, context, instance_uuid, status):
        db_migration = db.migration_get_by_instance_and_status(
            context, instance_uuid, status)
        return cls._from_db_object(context, cls(), db_migration)

    @base.remotable
    def create(self):
        if self.obj_attr_is_set('id'):
            raise ovo_exception.ObjectActionError(action='create',
                                                  reason='already created')
        if 'uuid' not in self:
            self.uuid = uuidutils.generate_uuid()
        if 'user_id' not in self:
            self.user_id = self._context.user_id
        if 'project_id' not in self:
            self.project_id = self._context.project_id
        updates = self.obj_get_changes()
        if 'migration_type' not in updates:
            raise ovo_exception.ObjectActionError(
                action='create',
                reason='cannot create a Migration object without a '
                       'migration_type set')
        if 'dest_node' in updates and 'dest_compute_id' not in updates:
            raise ovo_exception.ObjectActionError(
                action='create',
                reason='cannot create a Migration object with a dest_node '
                       'but no dest_compute_id')
        db_migration = db.migration_create(self._context, updates)
        self._from_db_object(self._context, self, db_migration)

    @base.remotable
    def save(self):
        updates = self.obj_get_changes()
        updates.pop('id', None)
        db_migration = db.migration_update(
            self._context, self.id, updates, **self.status_write_condition())
        self._from_db_object(self._context, self, db_migration)
        self.obj_reset_changes()

    @property
    def is_live_migration(self) -> bool:
        return self.migration_type == MigrationType.LIVE_MIGRATION

    @property
    def is_resize(self) -> bool:
        return self.migration_type == MigrationType.RESIZE

    @property
    def is_same_host_resize(self) -> bool:
        return self.is_resize and self.source_node == self.dest_node


@base.NovaObjectRegistry.register_if(False)
class Migration(mixin.MigrationStateMachineMixin, Nova34Migration):
    """Nova's ``Migration`` with its status checked by the state machine.

    The mixin brings the 1.9 body: the status field and the backport rule.
    """

    # Version 1.9: status is a MigrationStatusField; create() and save()
    #              check the move against the machine of the type
    VERSION = '1.9'


@base.NovaObjectRegistry.register_if(False)
class MigrationList(base.ObjectListBase, base.NovaObject):
    """A list of :class:`Migration`.

    Its queries derive the in-progress statuses from the machines, per type.
    """

    # Version 1.0-1.5: as Nova 34.0.0
    # Version 1.6: Migration version 1.9
    VERSION = '1.6'

    fields = {
        'objects': fields.ListOfObjectsField('Migration'),
    }

    @base.remotable_classmethod
    def get_unconfirmed_by_dest_compute(cls, context, confirm_window,
                                        dest_compute, use_slave=False):
        return base.obj_make_list(
            context, cls(context), Migration,
            db.migration_get_unconfirmed_by_dest_compute(
                context, confirm_window, dest_compute))

    @base.remotable_classmethod
    def get_in_progress_by_host_and_node(cls, context, host, node):
        return base.obj_make_list(
            context, cls(context), Migration,
            db.migration_get_in_progress_by_host_and_node(context, host,
                                                          node))

    @base.remotable_classmethod
    def get_by_filters(cls, context, filters, sort_keys=None, sort_dirs=None,
                       limit=None, marker=None):
        return base.obj_make_list(
            context, cls(context), Migration,
            db.migration_get_all_by_filters(
                context, filters, sort_keys=sort_keys, sort_dirs=sort_dirs,
                limit=limit, marker=marker))

    @base.remotable_classmethod
    def get_in_progress_by_instance(cls, context, instance_uuid,
                                    migration_type=None):
        return base.obj_make_list(
            context, cls(context), Migration,
            db.migration_get_in_progress_by_instance(
                context, instance_uuid, migration_type))

    @base.remotable_classmethod
    def get_in_progress_and_error(cls, context, host, node):
        return base.obj_make_list(
            context, cls(context), Migration,
            db.migration_get_in_progress_and_error_by_host_and_node(
                context, host, node))


__all__ = ['Migration', 'MigrationList', 'Nova34Migration',
           'determine_migration_type']
