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

"""Nova's ``Migration`` 1.9: the status checked by the state machine.

Registered in Nova's ``NovaObjectRegistry`` on import, which makes
``nova.objects.Migration`` this class (lists, RPC and every
``objects.Migration(...)`` get it). ``nova.objects.migration.Migration``
is not rebound: Nova's own methods call ``super(Migration, self)``.
``MigrationList`` stays Nova's 1.5: its ``objects`` field names
``'Migration'``, which the registry resolves to this class, and since
version manifests Nova no longer bumps a list for a child's bump
(``Instance`` 2.8 / ``InstanceList`` 2.6, ``ComputeNode`` 1.19 /
``ComputeNodeList`` 1.17), so its fingerprint is unchanged.

Nova's tests and a drop-in both need ``detect_stale_writes = False``
as the default here: Nova relies on overwriting a status it did not see
(evacuation ``completed -> done``, bug 1764883; the conductor's rollback
writing ``error`` over ``post-migrating``), so a save is checked from the
status the database holds and written only while it still holds it.
"""

from nova.objects import base
from nova.objects import migration as nova_migration
from nova import rpc
from oslo_config import cfg
from oslo_utils import versionutils

from nova_migration_sm import conf as sm_conf
from nova_migration_sm import exceptions
from nova_migration_sm import fields as sm_fields
from nova_migration_sm import mixin
from nova_migration_sm.nova import db as sm_db
from nova_migration_sm.nova import recorder

cfg.set_defaults(sm_conf.OPTS, detect_stale_writes=False)

# NOTE: a check refused in the conductor reaches the compute host as the
# same exception (not a RemoteError); Nova's RPC fixture clears
# EXTRA_EXMODS after each test, so the module joins ALLOWED_EXMODS.
if exceptions.__name__ not in rpc.ALLOWED_EXMODS:
    rpc.ALLOWED_EXMODS.append(exceptions.__name__)


class _ConditionalSave(nova_migration.Migration):
    """Nova's ``save()`` as a compare-and-swap while a move is checked.

    Not registered and not remotable: it runs inside the mixin's remotable
    ``save()``, so in the conductor when called on a compute host.
    """

    def save(self):
        condition = self.status_write_condition()
        if not condition:
            return super().save()
        updates = self.obj_get_changes()
        updates.pop('id', None)
        try:
            db_migration = sm_db.migration_update_if_status(
                self._context, self.id, updates, **condition)
        except exceptions.MigrationStatusConflict as conflict:
            migration_type, cross_cell = self._sm_machine_key()
            recorder.record('conflict', migration_type, cross_cell,
                            conflict.kwargs['expected'], self.status, False,
                            actual=conflict.kwargs['actual'],
                            check=self.__dict__.get('_sm_record_id'))
            raise
        self._from_db_object(self._context, self, db_migration)
        self.obj_reset_changes()


@base.NovaObjectRegistry.register
class Migration(mixin.MigrationStateMachineMixin, _ConditionalSave):
    """Nova's ``Migration`` with its status moves checked."""

    # Version 1.9: status is a MigrationStatusField; create() and save()
    #              check the move against the machine of the type
    VERSION = '1.9'

    fields = dict(nova_migration.Migration.fields,
                  status=sm_fields.MigrationStatusField(nullable=True))

    def obj_make_compatible(self, primitive, target_version):
        super().obj_make_compatible(primitive, target_version)
        base.raise_on_too_new_values(
            target_version, primitive, 'status',
            sm_fields.statuses_unknown_to(
                versionutils.convert_version_to_tuple(target_version)))

    def _sm_check(self, from_status, to_status) -> None:
        if not recorder.enabled():
            return super()._sm_check(from_status, to_status)
        migration_type, cross_cell = self._sm_machine_key()
        operation = 'save' if 'id' in self else 'create'
        try:
            super()._sm_check(from_status, to_status)
        except exceptions.InvalidMigrationStatusTransition:
            recorder.record(operation, migration_type, cross_cell,
                            from_status, to_status, True)
            raise
        self._sm_record_id = recorder.record(
            operation, migration_type, cross_cell, from_status, to_status,
            False)

    def _sm_check_copy(self) -> None:
        if not recorder.enabled():
            return super()._sm_check_copy()
        migration_type, cross_cell = self._sm_machine_key()
        try:
            super()._sm_check_copy()
        except exceptions.MigrationCopyError:
            recorder.record('copy', migration_type, cross_cell, None,
                            self.status, True)
            raise
        recorder.record('copy', migration_type, cross_cell, None,
                        self.status, False)


recorder.track_tests()
