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

"""The mixin that checks ``Migration.status`` on ``create()`` and ``save()``.

It finds "from" (the status the database holds), asks the machine of the
record's type, raises or warns, and delegates to the object's own
``create()``/``save()``. It knows nothing about SQL or RPC: the object's
write is expected to honour ``_sm_expected_status`` (write only if the row
still holds it, see :meth:`status_write_condition`), which makes the check
and the write one atomic step.

"From" is what the object last saw of the row (snapshotted whenever its
changes are reset, and carried over RPC next to the primitive), or, when
it never saw it, what the database holds, read through ``get_by_id``.
"""

from oslo_log import log as logging
from oslo_versionedobjects import base as ovo_base

from nova_migration_sm import conf as sm_conf
from nova_migration_sm import exceptions
from nova_migration_sm import machines
from nova_migration_sm.statuses import MigrationStatus

LOG = logging.getLogger(__name__)

SEEN_STATUS_KEY = 'nova_migration_sm.seen_status'
"""Primitive key carrying the status the sender last saw of the row."""

_UNKNOWN = object()
_ALLOWED_MOVES = machines.ALLOWED_MOVES
# NOTE(perf): where o.vo stores a set field (its private _get_attrname());
# obj_attr_is_set() builds the list of every field name on each call, so
# the hot paths read these instead (tests/unit/test_mixin.py pins them).
_STATUS = '_obj_status'
_TYPE = '_obj_migration_type'
_CROSS_CELL = '_obj_cross_cell_move'
_STALE_RETRIES = 3


class MigrationStateMachineMixin:
    """Checks status moves of a versioned ``Migration`` against its machine.

    Put it first in the bases of a ``Migration`` class whose ``save()`` and
    ``create()`` it wraps; both stay remotable, so on a compute host the
    check runs in the conductor, before anything is written.
    """

    # -- what the object last saw of the row ------------------------------

    def obj_reset_changes(self, fields=None, recursive=False):
        super().obj_reset_changes(fields=fields, recursive=recursive)
        if fields is None or 'status' in fields:
            if _STATUS in self.__dict__:
                self._sm_seen = self.__dict__[_STATUS]
            else:
                self.__dict__.pop('_sm_seen', None)

    def _sm_seen_status(self):
        """The status this object last saw in the database, or _UNKNOWN."""
        if 'status' not in self._changed_fields:
            return self.__dict__.get(_STATUS, _UNKNOWN)
        return self.__dict__.get('_sm_seen', _UNKNOWN)

    def obj_to_primitive(self, target_version=None, version_manifest=None):
        primitive = super().obj_to_primitive(
            target_version=target_version, version_manifest=version_manifest)
        seen = self.__dict__.get('_sm_seen', _UNKNOWN)
        if seen is not _UNKNOWN and 'status' in self._changed_fields:
            primitive[SEEN_STATUS_KEY] = seen
        return primitive

    @classmethod
    def _obj_from_primitive(cls, context, objver, primitive):
        obj = super()._obj_from_primitive(context, objver, primitive)
        if SEEN_STATUS_KEY in primitive:
            seen = primitive[SEEN_STATUS_KEY]
            if seen is not None and seen not in MigrationStatus.ALL:
                raise ValueError('Primitive of %s carries an invalid %s %r'
                                 % (cls.__name__, SEEN_STATUS_KEY, seen))
            obj._sm_seen = seen
        elif _STATUS in obj.__dict__ and 'status' not in obj._changed_fields:
            # NOTE: an unchanged status is what the sender saw of the row.
            obj._sm_seen = obj.__dict__[_STATUS]
        return obj

    def __deepcopy__(self, memo):
        clone = super().__deepcopy__(memo)
        if '_sm_seen' in self.__dict__:
            clone._sm_seen = self._sm_seen
        return clone

    def _sm_load_persisted_status(self):
        """The status the database holds now (the object never saw it)."""
        return type(self).get_by_id(self._context, self.id).status

    # -- the checks ---------------------------------------------------------

    def status_write_condition(self) -> dict:
        """Keyword arguments for the object's conditional write.

        ``{'expected_status': S}`` while a checked ``save()`` writes: the
        write must only happen if the row still holds ``S`` and must raise
        :class:`MigrationStatusConflict` otherwise. Empty when unchecked.
        """
        expected = self.__dict__.get('_sm_expected_status', _UNKNOWN)
        return {} if expected is _UNKNOWN else {'expected_status': expected}

    def _sm_machine_key(self) -> tuple[str, bool]:
        values = self.__dict__
        migration_type = values.get(_TYPE)
        if migration_type is None:
            migration_type = self.migration_type  # lazy-loaded, as Nova
        return migration_type, bool(values.get(_CROSS_CELL))

    def _sm_name(self) -> str:
        if self.obj_attr_is_set('uuid') and self.uuid:
            return self.uuid
        if self.obj_attr_is_set('id'):
            return 'id=%s' % self.id
        return '<not created>'

    def _sm_check(self, from_status, to_status) -> None:
        # NOTE(perf): _sm_machine_key() and is_allowed() inlined into one
        # lookup in the machines' table; this runs on every checked save
        # and costs half as much this way (benchmarks/checks.py).
        values = self.__dict__
        try:
            key = (values[_TYPE], values[_CROSS_CELL], from_status,
                   to_status)
        except KeyError:  # not loaded yet: Nova's lazy load and defaults
            key = (*self._sm_machine_key(), from_status, to_status)
        if key in _ALLOWED_MOVES:
            return
        migration_type, cross_cell = self._sm_machine_key()
        # NOTE: next_statuses() raises UnknownMigrationType for a bad type.
        raise exceptions.InvalidMigrationStatusTransition(
            migration=self._sm_name(), migration_type=migration_type,
            cross_cell_move=cross_cell, from_status=from_status,
            to_status=to_status, allowed=machines.next_statuses(
                migration_type, from_status, cross_cell))

    def _sm_check_copy(self) -> None:
        migration_type, cross_cell = self._sm_machine_key()
        known = machines.statuses(migration_type, cross_cell)
        if self.status not in known:
            raise exceptions.MigrationCopyError(
                migration=self._sm_name(), migration_type=migration_type,
                reason='status %r is not a status of this type; allowed: '
                       '%s.' % (self.status, exceptions.quoted(known)))

    def _sm_warn(self, error: exceptions.MigrationStateMachineError) -> None:
        LOG.warning('Migration status check failed; written anyway because '
                    '[migration_state_machine] enforcement = warn: '
                    '%(error)s', {'error': error},
                    extra={'migration_state_machine': dict(
                        error.kwargs, error=type(error).__name__)})

    def _sm_enforce(self, check, *args) -> bool:
        """Run a check; True if the write may go ahead unconditionally."""
        try:
            check(*args)
        except exceptions.MigrationStateMachineError as error:
            if sm_conf.CONF.migration_state_machine.enforcement != \
                    sm_conf.WARN:
                raise
            self._sm_warn(error)
            return True
        return False

    # -- the wrapped methods ------------------------------------------------

    @ovo_base.remotable
    def create(self):
        enforcement = sm_conf.CONF.migration_state_machine.enforcement
        if (enforcement != sm_conf.OFF and
                self.obj_attr_is_set('migration_type')):
            if self.__dict__.get('_sm_copying'):
                self._sm_enforce(self._sm_check_copy)
            else:
                status = self.status if self.obj_attr_is_set('status') \
                    else None
                self._sm_enforce(self._sm_check, None, status)
        return super().create()

    def create_copy(self) -> None:
        """Create this record as a copy of a row of another database.

        Nova's cross-cell resize copies every migration row of the instance
        into the target cell, whatever status each holds
        (``TargetDBSetupTask._copy_migrations``). This is the one path that
        creates a record in a status that is not initial: it runs where
        the database is (never over RPC) and the status must still be one
        its type can hold.
        """
        if self.indirection_api:
            raise exceptions.MigrationCopyError(
                migration=self._sm_name(),
                migration_type=self.migration_type,
                reason='a copy is made where the database is, not over RPC.')
        self._sm_copying = True
        try:
            self.create()
        finally:
            del self._sm_copying

    @ovo_base.remotable
    def save(self):
        enforcement = sm_conf.CONF.migration_state_machine.enforcement
        # NOTE(perf): _changed_fields, not obj_what_changed(): status is
        # no nested object, and obj_what_changed() costs ~30 us a save.
        if enforcement == sm_conf.OFF or \
                'status' not in self._changed_fields:
            return super().save()
        if self._sm_enforce(self._sm_save_checked):
            return super().save()

    def _sm_save_checked(self) -> None:
        """Check from the persisted status and write only if it holds."""
        expected = self._sm_seen_status()
        if expected is _UNKNOWN:
            expected = self._sm_load_persisted_status()
        stale_is_conflict = \
            sm_conf.CONF.migration_state_machine.detect_stale_writes
        for attempt in range(_STALE_RETRIES):
            self._sm_check(expected, self.status)
            self._sm_expected_status = expected
            try:
                super().save()
                return
            except exceptions.MigrationStatusConflict as conflict:
                if stale_is_conflict or attempt == _STALE_RETRIES - 1:
                    raise
                expected = conflict.kwargs['actual']
            finally:
                del self._sm_expected_status
