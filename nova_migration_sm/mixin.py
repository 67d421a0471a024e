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

It finds what the writer saw and what the row holds, asks the machine of
the record's type (:func:`nova_migration_sm.machines.write_condition`),
raises or warns, and delegates to the object's own ``create()``/``save()``.
It knows nothing about SQL or RPC: while a checked ``save()`` writes, the
object's write honours
:meth:`~MigrationStateMachineMixin.status_write_condition` (write only while
the row holds one of the expected statuses, else raise
:class:`MigrationStatusConflict` naming the status it holds), which makes
the check and the write one atomic step.

*Seen* is the status the object last saw of the row: snapshotted whenever
its changes are reset, and carried over RPC next to the primitive. The row
is first expected to hold what was seen, so a fresh writer's save is one
conditional ``UPDATE``; only when the row holds something else is the move
asked again, from what it holds.
"""

import threading

from oslo_log import log as logging
from oslo_utils import versionutils
from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects import exception as ovo_exception

from nova_migration_sm import conf as sm_conf
from nova_migration_sm import exceptions
from nova_migration_sm import fields as sm_fields
from nova_migration_sm import machines
from nova_migration_sm import observers
from nova_migration_sm import ovo_internals as ovo
from nova_migration_sm.statuses import MigrationStatus

LOG = logging.getLogger(__name__)

SEEN_STATUS_KEY = 'nova_migration_sm.seen_status'
"""Primitive key carrying the status the sender last saw of the row."""

_UNKNOWN = machines.UNKNOWN
_WRITE_CONDITIONS = machines.WRITE_CONDITIONS
Outcome = machines.Outcome
_STALE_RETRIES = 3
"""Conditional writes a save tries while the row keeps moving under it."""


class _Reported:
    """The keys already reported, at most ``LIMIT`` of them."""

    LIMIT = 10000

    def __init__(self) -> None:
        self._keys: set = set()

    def add(self, key) -> bool:
        """Remember ``key``; False if it was reported already."""
        if key in self._keys:
            return False
        if len(self._keys) >= self.LIMIT:
            self._keys.clear()
        self._keys.add(key)
        return True

    def clear(self) -> None:
        """Forget every key (tests)."""
        self._keys.clear()


_WRITING = threading.local()
"""``status``: the legacy status a warn-mode write is putting in a row
(already reported by that write's WARNING)."""
_UNKNOWN_REPORTED = _Reported()
"""Legacy statuses already reported, per (migration, status)."""


class MigrationStateMachineMixin:
    """Checks status moves of a versioned ``Migration`` against its machine.

    Put it first in the bases of a ``Migration`` class: it makes ``status``
    a :class:`~nova_migration_sm.fields.MigrationStatusField` and wraps
    ``save()`` and ``create()``, which stay remotable, so on a compute host
    the check runs in the conductor, before anything is written.
    """

    fields = {'status': sm_fields.MigrationStatusField(nullable=True)}

    _sm_fabricating = False
    """While true (Nova's ``nova.tests.fixtures.FabricatedMigrations``,
    for tests only), ``create()`` accepts any status of the type, as a
    copy does."""

    # -- what the object last saw of the row ------------------------------

    def obj_reset_changes(self, fields=None, recursive=False):
        super().obj_reset_changes(fields=fields, recursive=recursive)
        if ovo.resets(fields, 'status'):
            status = ovo.value(self, ovo.STATUS)
            if status is ovo.UNSET:
                self.__dict__.pop('_sm_seen', None)
            else:
                self._sm_seen = status
                self._sm_note_unknown(status)

    def _sm_note_unknown(self, status) -> None:
        """One WARNING per migration and process for a legacy status.

        The row loads as it is (reads never fail); unless enforcement is
        off, the log says once that strict would refuse to move it
        anywhere but to an error status.
        """
        if (status is None or sm_fields.is_known(status) or
                status == getattr(_WRITING, 'status', None) or
                sm_conf.options().enforcement == sm_conf.OFF):
            return
        name = self._sm_name()
        if not _UNKNOWN_REPORTED.add((name, status)):
            return
        LOG.warning('Migration %(migration)s holds status %(status)r, which '
                    'is none of the %(count)d statuses Nova writes; it is '
                    'read as it is, and [migration_state_machine] '
                    'enforcement = strict lets it move only to an error '
                    'status. nova-migration-sm audit lists such rows.',
                    {'migration': name, 'status': status,
                     'count': len(MigrationStatus.ALL)})

    def _sm_seen_status(self) -> str | None:
        """The status this object last saw in the database, or UNKNOWN."""
        if not ovo.is_changed(self, 'status'):
            status = ovo.value(self, ovo.STATUS)
            return _UNKNOWN if status is ovo.UNSET else status
        return self.__dict__.get('_sm_seen', _UNKNOWN)

    def obj_to_primitive(self, target_version=None, version_manifest=None):
        primitive = super().obj_to_primitive(
            target_version=target_version, version_manifest=version_manifest)
        if '_sm_seen' in self.__dict__ and ovo.is_changed(self, 'status'):
            primitive[SEEN_STATUS_KEY] = self._sm_seen
        return primitive

    @classmethod
    def _obj_from_primitive(cls, context, objver, primitive):
        obj = super()._obj_from_primitive(context, objver, primitive)
        if SEEN_STATUS_KEY in primitive:
            seen = primitive[SEEN_STATUS_KEY]
            if seen is not None and not isinstance(seen, str):
                raise ValueError('Primitive of %s carries an invalid %s %r'
                                 % (cls.__name__, SEEN_STATUS_KEY, seen))
            obj._sm_seen = seen
        elif not ovo.is_changed(obj, 'status'):
            # NOTE: an unchanged status is what the sender saw of the row.
            status = ovo.value(obj, ovo.STATUS)
            if status is not ovo.UNSET:
                obj._sm_seen = status
                obj._sm_note_unknown(status)
        return obj

    def __deepcopy__(self, memo):
        clone = super().__deepcopy__(memo)
        if '_sm_seen' in self.__dict__:
            clone._sm_seen = self._sm_seen
        return clone

    def obj_make_compatible(self, primitive, target_version):
        super().obj_make_compatible(primitive, target_version)
        too_new = sm_fields.statuses_unknown_to(
            versionutils.convert_version_to_tuple(target_version))
        if primitive.get('status') in too_new:
            raise ovo_exception.ObjectActionError(
                action='obj_make_compatible',
                reason='status=%s not supported in version %s' % (
                    primitive['status'], target_version))

    # -- the checks ---------------------------------------------------------

    def status_write_condition(self) -> dict:
        """Keyword arguments for the object's conditional write.

        ``{'expected_statuses': (S, ...)}`` while a checked ``save()``
        writes: the write must only happen while the row holds one of them
        and must raise :class:`MigrationStatusConflict` (``actual``: what
        the row holds) otherwise. Empty when the write is unchecked.
        """
        expected = self.__dict__.get('_sm_expected')
        return {} if expected is None else {'expected_statuses': expected}

    def _sm_save_on_condition(self, expected: tuple) -> None:
        """The object's own ``save()``, conditioned on ``expected``.

        ``save()`` takes no arguments, so the statuses travel in one
        attribute, set for the call only and read back by
        :meth:`status_write_condition`.
        """
        self._sm_expected = expected
        try:
            super().save()
        finally:
            del self._sm_expected

    def _sm_machine_key(self) -> tuple[str, bool]:
        migration_type = ovo.value(self, ovo.MIGRATION_TYPE)
        if migration_type is ovo.UNSET or migration_type is None:
            migration_type = self.migration_type  # lazy-loaded, as Nova
        cross_cell = ovo.value(self, ovo.CROSS_CELL_MOVE)
        return migration_type, cross_cell is True

    def _sm_name(self) -> str:
        if self.obj_attr_is_set('uuid') and self.uuid:
            return self.uuid
        if self.obj_attr_is_set('id'):
            return 'id=%s' % self.id
        return '<not created>'

    def _sm_check(self, seen, persisted, target,
                  detect_stale_writes=False) -> machines.WriteCondition:
        """Ask the machine of this record's type about a write.

        The outcome and the statuses the write is conditioned on, or the
        exception that refuses it: the answer tabulated in
        :data:`machines.WRITE_CONDITIONS`, else
        :func:`machines.write_condition`'s.
        """
        values = self.__dict__
        try:
            return _WRITE_CONDITIONS[(
                values[ovo.MIGRATION_TYPE], values[ovo.CROSS_CELL_MOVE],
                seen, persisted, target)]
        except KeyError:  # not tabulated, or a field not loaded yet
            pass
        migration_type, cross_cell = self._sm_machine_key()
        return machines.write_condition(
            migration_type, cross_cell_move=cross_cell, seen=seen,
            persisted=persisted, target=target,
            detect_stale_writes=detect_stale_writes,
            migration=self._sm_name)

    def _sm_notify(self, operation: str, seen, persisted, target,
                   outcome: str) -> None:
        if observers.active():
            migration_type, cross_cell = self._sm_machine_key()
            observers.notify(
                operation=operation, migration=self._sm_name(),
                migration_type=migration_type, cross_cell_move=cross_cell,
                seen=seen, persisted=persisted, target=target,
                outcome=outcome)

    def _sm_refuse(self, error: exceptions.MigrationStateMachineError,
                   operation: str, seen, write):
        """Strict: raise ``error``; warn: write as plain Nova would.

        In warn mode ``write()`` runs unconditionally, then one WARNING
        says what strict would have refused and whether it was written.
        """
        kwargs = error.kwargs
        persisted = kwargs.get('actual', seen)
        target = kwargs.get('to_status', ovo.value(self, ovo.STATUS))
        if sm_conf.options().enforcement != sm_conf.WARN:
            self._sm_notify(operation, seen, persisted, target,
                            Outcome.CONFLICT if isinstance(
                                error, exceptions.MigrationStatusConflict)
                            else Outcome.REFUSED)
            raise error
        extra = {'migration_state_machine': dict(
            kwargs, error=type(error).__name__)}
        # NOTE: this WARNING is the one a legacy status gets, not a second
        # one when the written row is read back.
        _WRITING.status = target
        try:
            result = write()
        except Exception as failure:
            LOG.warning('%(error)s Not written either: the write that '
                        '[migration_state_machine] enforcement = warn let '
                        'through failed: %(failure)s',
                        {'error': error, 'failure': failure}, extra=extra)
            raise
        finally:
            _WRITING.status = None
        LOG.warning('%(error)s Written anyway because '
                    '[migration_state_machine] enforcement = warn.',
                    {'error': error}, extra=extra)
        self._sm_notify(operation, seen, persisted, target, Outcome.WARNED)
        return result

    # -- the wrapped methods ------------------------------------------------

    @ovo_base.remotable
    def create(self):
        enforcement = sm_conf.options().enforcement
        # NOTE: an object that already has a row is the object's own error
        # (Nova's create() raises ObjectActionError 'already created').
        if (enforcement == sm_conf.OFF or
                ovo.value(self, ovo.MIGRATION_TYPE) is ovo.UNSET or
                ovo.value(self, ovo.ID) is not ovo.UNSET):
            return super().create()
        status = ovo.value(self, ovo.STATUS)
        status = None if status is ovo.UNSET else status
        try:
            if self._sm_fabricating:
                self._sm_check_copy()
                outcome = Outcome.COPY
            else:
                migration_type, cross_cell = self._sm_machine_key()
                outcome = machines.write_condition(
                    migration_type, cross_cell_move=cross_cell,
                    seen=machines.CREATE, persisted=machines.CREATE,
                    target=status, migration=self._sm_name).outcome
        except exceptions.MigrationStateMachineError as error:
            return self._sm_refuse(error, 'create', None, super().create)
        result = super().create()
        self._sm_notify('create', None, None, status, outcome)
        return result

    def _sm_check_copy(self) -> None:
        migration_type, cross_cell = self._sm_machine_key()
        known = machines.statuses(migration_type, cross_cell)
        if self.status not in known:
            raise exceptions.MigrationCopyError(
                migration=self._sm_name(), migration_type=migration_type,
                reason='status %r is not a status of this type; allowed: '
                       '%s.' % (self.status, exceptions.quoted(known)))

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
        if sm_conf.options().enforcement != sm_conf.OFF:
            try:
                self._sm_check_copy()
            except exceptions.MigrationCopyError as error:
                return self._sm_refuse(error, 'copy', None, super().create)
        super().create()
        self._sm_notify('copy', None, None, self.status, Outcome.COPY)

    @ovo_base.remotable
    def save(self):
        enforcement = sm_conf.options().enforcement
        # NOTE: an object that was never created has no row to write; the
        # object's own save() raises for it (or a test's stub of it runs).
        if (enforcement == sm_conf.OFF or
                not ovo.is_changed(self, 'status') or
                ovo.value(self, ovo.ID) is ovo.UNSET):
            return super().save()
        seen = self._sm_seen_status()
        try:
            self._sm_save_checked(seen)
        except exceptions.MigrationStateMachineError as error:
            return self._sm_refuse(error, 'save', seen, super().save)

    def _sm_save_checked(self, seen) -> None:
        """Ask, then write on condition; ask again from what the row holds.

        Up to ``_STALE_RETRIES`` conditional writes while the row keeps
        moving under this one.
        """
        target = self.status
        detect = sm_conf.options().detect_stale_writes
        persisted = seen
        for _attempt in range(_STALE_RETRIES):
            condition = self._sm_check(seen, persisted, target, detect)
            try:
                self._sm_save_on_condition(condition.expected)
            except exceptions.MigrationStatusConflict as moved:
                persisted = moved.kwargs['actual']
                continue
            self._sm_notify('save', seen, persisted, target,
                            condition.outcome)
            return
        migration_type, cross_cell = self._sm_machine_key()
        raise exceptions.MigrationStatusConflict(
            migration=self._sm_name(), migration_type=migration_type,
            cross_cell_move=cross_cell, expected=seen, actual=persisted,
            to_status=target, allowed=condition.expected)
