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

"""Repair what an audit found: plan, apply and undo, row by row.

:func:`plan` turns the rows an audit listed (``list_rows=True``) into
:class:`Change` s and :class:`Decision` s, from the machines alone:

* a row stuck in progress moves to the type's error status the machine
  allows from where it is (``error`` first: Nova's own end for a
  migration nothing cleaned up after, which its
  ``_cleanup_incomplete_migrations`` periodic then finishes);
* a row in a status the field does not know, or its type cannot hold, is
  a decision, with the closest status of its type (difflib), unless an
  operator's ``--map TYPE:OLD=NEW`` says what it becomes;
* a row waiting for the user (:func:`machines.waiting_statuses`), or of a
  type no machine knows, is a decision too; deleted rows are never
  touched.

:func:`apply_changes` writes each change as a compare-and-swap on the
status it was planned from (:func:`nova_migration_sm.cas.
update_if_status`): a row that moved, was deleted or is gone since is
skipped and reported, never overwritten. A journal entry per change
written lets :func:`undo_changes` move it back the same way.
"""

import dataclasses
import datetime
import difflib
import json

from nova_migration_sm import machines
from nova_migration_sm.operators import audit
from nova_migration_sm.operators.cannotcheck import CannotCheck
from nova_migration_sm.operators import spool
from nova_migration_sm.statuses import MigrationType

PLAN_FORMAT = 'nova-migration-sm repair plan 1'
"""The ``format`` of a saved plan; a file without it is refused."""

Maps = dict[tuple[str, str | None], str]
"""``(migration type, old status) -> new status``: the ``--map`` s."""


@dataclasses.dataclass(frozen=True)
class Change:
    """One row to move: where it is, from what, to what and why."""

    cell: str
    cell_uuid: str | None
    id: int
    uuid: str | None
    migration_type: str
    """The row's type, or the type Nova infers for a NULL one."""
    from_status: str | None
    to_status: str | None
    why: str
    updated_at: str | None = None
    """The ``updated_at`` to write back (an undo); None: the time of the
    change."""

    def undo(self, when: str, updated_at: str | None) -> 'Change':
        """The change that moves the row back, as a journal entry says."""
        return dataclasses.replace(
            self, from_status=self.to_status, to_status=self.from_status,
            why='undo of the repair made at %s' % when,
            updated_at=updated_at)


@dataclasses.dataclass(frozen=True)
class Decision:
    """A row only the operator can decide about, and what would fit."""

    cell: str
    cell_uuid: str | None
    id: int
    uuid: str | None
    migration_type: str | None
    status: str | None
    why: str
    suggestion: str | None = None


@dataclasses.dataclass
class Plan:
    """Every change a repair would make and every row left to decide.

    In lists, or on disk (:meth:`spooled`): a plan is as long as the rows
    it changes.
    """

    changes: list[Change] | spool.Items = dataclasses.field(
        default_factory=list)
    decisions: list[Decision] | spool.Items = dataclasses.field(
        default_factory=list)

    @classmethod
    def spooled(cls) -> 'Plan':
        """An empty plan kept in temporary files (:class:`spool.Items`)."""
        return cls(spool.Items(dataclasses.asdict, lambda d: Change(**d)),
                   spool.Items(dataclasses.asdict, lambda d: Decision(**d)))

    def close(self) -> None:
        """Remove the temporary files of a :meth:`spooled` plan."""
        for items in (self.changes, self.decisions):
            if isinstance(items, spool.Items):
                items.close()

    def to_dict(self) -> dict:
        """The plan as saved.

        Its lists are written as they are read (:func:`spool.dump`).
        """
        return {'format': PLAN_FORMAT,
                'changes': _asdicts(self.changes),
                'decisions': _asdicts(self.decisions)}

    @classmethod
    def from_dict(cls, data, source: str) -> 'Plan':
        """A saved plan, or CannotCheck naming ``source``."""
        if not isinstance(data, dict) or data.get('format') != PLAN_FORMAT:
            raise CannotCheck('%s is not a plan saved by repair --plan'
                              % source)
        try:
            return cls([Change(**c) for c in data['changes']],
                       [Decision(**d) for d in data['decisions']])
        except (KeyError, TypeError):
            raise CannotCheck('%s: the plan is damaged; make it again with '
                              'repair --plan' % source) from None


def _asdicts(items) -> spool.Rows:
    return spool.Rows(lambda: (dataclasses.asdict(i) for i in items),
                      len(items))


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of one change: written, or skipped and why."""

    change: Change
    written: bool
    at: str
    reason: str | None = None
    updated_at_before: str | None = None
    """The row's ``updated_at`` before the change (to undo it)."""


def suggestion(status: str | None, migration_type: str, cross_cell: bool,
               ends_only: bool = False) -> str:
    """The type's status spelt closest to ``status`` (difflib).

    Among the type's ends with ``ends_only`` (a real status of another
    type: only ending the row makes sense); the type's first error status
    when nothing is close.
    """
    known = (machines.terminal_statuses if ends_only else machines.statuses)(
        migration_type, cross_cell)
    lowered = {s.lower(): s for s in known}
    close = difflib.get_close_matches((status or '').lower(), list(lowered),
                                      n=1, cutoff=0.5 if ends_only else 0.6)
    if close:
        return lowered[close[0]]
    return machines.error_statuses(migration_type, cross_cell)[0]


def end_of(migration_type: str, status: str, cross_cell: bool
           ) -> str | None:
    """The type's error status the machine allows from ``status``."""
    allowed = machines.next_statuses(migration_type, status, cross_cell)
    return next((s for s in machines.error_statuses(
        migration_type, cross_cell) if s in allowed), None)


class _Planner:
    """The changes and decisions for the rows of one database."""

    def __init__(self, cell: str, cell_uuid: str | None, maps: Maps,
                 report: audit.AuditReport, plan: Plan) -> None:
        self.cell, self.cell_uuid, self.maps = cell, cell_uuid, maps
        self.report = report
        self.plan = plan
        self.deleted = 0

    def rows(self, findings: dict):
        for key, group in sorted(findings.items(), key=lambda kv: str(kv[0])):
            for row in group.listed:
                values = dict(zip(audit.COLUMNS, row))
                if values['deleted']:
                    self.deleted += 1
                    continue
                checked_as = values['migration_type'] or \
                    machines.determine_migration_type(values)
                yield key, values, checked_as, bool(values['cross_cell_move'])

    def change(self, values, checked_as, to_status, why) -> None:
        why = _inferred(values, checked_as) + why
        self.plan.changes.append(Change(
            self.cell, self.cell_uuid, values['id'], values['uuid'],
            checked_as, values['status'], to_status, why))

    def decide(self, values, checked_as, why, suggested=None) -> None:
        why = _inferred(values, checked_as) + why
        self.plan.decisions.append(Decision(
            self.cell, self.cell_uuid, values['id'], values['uuid'],
            checked_as, values['status'], why, suggested))

    def mapped(self, values, checked_as, cross_cell, why) -> bool:
        """Apply an operator's ``--map`` to a row, if one names it."""
        new = self.maps.get((checked_as, values['status']))
        if new is None:
            return False
        if not machines.holds(checked_as, new, cross_cell):
            self.decide(values, checked_as, '%s; --map %s:%s=%s, but a %s%s '
                        'row cannot hold %r' % (
                            why, checked_as, values['status'], new,
                            checked_as, _variant(cross_cell), new))
        else:
            self.change(values, checked_as, new, '%s; --map %s:%s=%s' % (
                why, checked_as, values['status'], new))
        return True

    def moved_by_map(self, values, checked_as, cross_cell, new, why
                     ) -> None:
        """An operator's ``--map`` of a row in a status of its machine.

        A change when the machine allows the move from where the row is,
        else a decision naming the moves it allows.
        """
        status = values['status']
        allowed = machines.next_statuses(checked_as, status, cross_cell)
        why = '%s; --map %s:%s=%s' % (why, checked_as, status, new)
        if new in allowed:
            self.change(values, checked_as, new, why)
        else:
            self.decide(values, checked_as, '%s, but the machine allows '
                        'only %s from %r' % (why, ', '.join(allowed), status))

    def stuck(self) -> None:
        for _, values, checked_as, cross_cell in self.rows(self.report.stuck):
            status = values['status']
            waiting = status in machines.waiting_statuses(checked_as,
                                                          cross_cell)
            why = ('waits for the user to confirm or revert the resize '
                   '(openstack server resize confirm|revert), however long'
                   if waiting else
                   'in progress, not updated since %s' % audit.iso(
                       values['updated_at'] or values['created_at']))
            new = self.maps.get((checked_as, status))
            if new is not None:
                self.moved_by_map(values, checked_as, cross_cell, new, why)
                continue
            end = None if waiting else end_of(checked_as, status, cross_cell)
            if end is None:
                self.decide(values, checked_as, why if waiting else
                            '%s; no move of the machine ends it in error: '
                            'decide with --map' % why)
                continue
            self.change(values, checked_as, end, '%s; Nova ends it so at %s'
                        % (why, machines.where(checked_as, status, end,
                                               cross_cell)))

    def done_evacuations(self) -> None:
        """Done evacuations change only by an operator's ``--map``.

        Waiting for the source compute is Nova's normal state: it completes
        them when it starts (``ComputeManager._destroy_evacuated_instances``).
        Only ``--map evacuation:done=completed``, for a source host that is
        gone for good, ends them here, as that start-up would.
        """
        findings = self.report.done_evacuations
        for source, values, checked_as, cross_cell in self.rows(findings):
            status = values['status']
            new = self.maps.get((checked_as, status))
            if new is not None:
                self.moved_by_map(
                    values, checked_as, cross_cell, new,
                    'evacuated from %s, which has not started since %s' % (
                        source, audit.iso(values['updated_at'] or
                                          values['created_at'])))

    def unheld(self, findings: dict, what: str,
               ends_only: bool = False) -> None:
        for _, values, checked_as, cross_cell in self.rows(findings):
            why = what % dict(type=checked_as, variant=_variant(cross_cell))
            if not self.mapped(values, checked_as, cross_cell, why):
                self.decide(values, checked_as, why + '; decide with --map',
                            suggestion(values['status'], checked_as,
                                       cross_cell, ends_only))

    def unknown_types(self) -> None:
        for key, values, _, _ in self.rows(self.report.unknown_types):
            close = difflib.get_close_matches(str(key), MigrationType.ALL,
                                              n=1)
            self.decide(values, key, 'no machine knows the migration type '
                        '%r; Nova cannot load the row either: fix the type '
                        'in the database' % key, close[0] if close else None)


def _inferred(values: dict, checked_as: str) -> str:
    if values['migration_type'] is not None:
        return ''
    return 'migration_type NULL, checked as %s; ' % checked_as


def _variant(cross_cell: bool) -> str:
    return ' (cross-cell)' if cross_cell else ''


def plan_database(cell: str, cell_uuid: str | None,
                  report: audit.AuditReport, maps: Maps | None = None,
                  into: Plan | None = None) -> tuple[Plan, int]:
    """The plan for one database, and how many deleted rows it left.

    ``report`` must list its rows (``list_rows=True``). The changes and
    decisions are added to ``into`` if given, else to a new plan.
    """
    planner = _Planner(cell, cell_uuid, maps or {}, report,
                       Plan() if into is None else into)
    planner.stuck()
    planner.done_evacuations()
    planner.unheld(report.unknown_statuses,
                   'status unknown to the field (Nova 34 cannot load it)')
    planner.unheld(report.impossible,
                   'a status no %(type)s%(variant)s row can hold',
                   ends_only=True)
    planner.unknown_types()
    return planner.plan, planner.deleted


def plan(audits: audit.Audits, maps: Maps | None = None
         ) -> tuple[Plan, int]:
    """The plan for every database audited, and the deleted rows left.

    The plan is kept on disk (:meth:`Plan.spooled`); close it when done.
    """
    whole, deleted = Plan.spooled(), 0
    for database in audits.databases:
        if database.report is None:
            continue
        _, left = plan_database(database.name, database.uuid,
                                database.report, maps, whole)
        deleted += left
    return whole, deleted


def journal_entry(outcome: Outcome) -> str:
    """One line of the journal: a change written, and when."""
    change = outcome.change
    return json.dumps({
        'cell': change.cell, 'cell_uuid': change.cell_uuid,
        'id': change.id, 'uuid': change.uuid,
        'migration_type': change.migration_type,
        'before': change.from_status, 'after': change.to_status,
        'time': outcome.at, 'updated_at_before': outcome.updated_at_before,
        'why': change.why}) + '\n'


def read_journal(lines, source: str) -> list[Change]:
    """The changes that undo a journal's, last written first."""
    undo = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            change = Change(entry['cell'], entry['cell_uuid'], entry['id'],
                            entry['uuid'], entry['migration_type'],
                            entry['before'], entry['after'], entry['why'])
            undo.append(change.undo(entry['time'],
                                    entry.get('updated_at_before')))
        except (ValueError, KeyError, TypeError):
            raise CannotCheck('%s, line %d: not a journal entry written by '
                              'repair --journal' % (source, number)) from None
    if not undo:
        raise CannotCheck('%s: the journal records no change' % source)
    return undo[::-1]


def apply_changes(connection, table: str, changes, journal=None,
                  now=None):
    """Write each change as a compare-and-swap; yield its :class:`Outcome`.

    Each change is its own transaction: the row is locked (``SELECT ...
    FOR UPDATE``; SQLite locks the file on write) and must still be the
    same migration, not deleted; then
    :func:`~nova_migration_sm.cas.update_if_status` writes the new
    status only while the row holds the one planned from. ``journal`` (a
    text file) gets :func:`journal_entry` for each change written, once
    it is committed. A row that moved is skipped, never overwritten.
    """
    import sqlalchemy as sa

    from nova_migration_sm import cas
    from nova_migration_sm import exceptions
    from nova_migration_sm.operators import auditdb

    migrations = auditdb.migrations_table(table)
    for change in changes:
        at = now or datetime.datetime.now(datetime.timezone.utc).replace(
            tzinfo=None)
        reason = before = None
        written_at = at if change.updated_at is None else \
            datetime.datetime.fromisoformat(change.updated_at)
        with connection.begin():
            row = connection.execute(
                sa.select(migrations.c.uuid, migrations.c.status,
                          migrations.c.deleted, migrations.c.updated_at)
                .where(migrations.c.id == change.id)
                .with_for_update()).first()
            if row is None:
                reason = 'the row is gone'
            elif row.uuid != change.uuid:
                reason = 'id %s now holds migration %s' % (change.id,
                                                           row.uuid)
            elif row.deleted:
                reason = 'the row was deleted since'
            else:
                before = row.updated_at
                try:
                    cas.update_if_status(
                        connection, migrations, change.id,
                        {'status': change.to_status,
                         'updated_at': written_at},
                        [change.from_status])
                except exceptions.MigrationStatusConflict as error:
                    reason = 'moved since: it holds %r, not %r' % (
                        error.kwargs['actual'], change.from_status)
        outcome = Outcome(change, reason is None, audit.iso(at), reason,
                          before and before.isoformat(sep=' '))
        if journal is not None and outcome.written:
            journal.write(journal_entry(outcome))
            journal.flush()
        yield outcome
