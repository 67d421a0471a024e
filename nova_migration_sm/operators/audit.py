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

"""What the machines say about the rows of a Nova ``migrations`` table.

The rows are read elsewhere (:mod:`nova_migration_sm.operators.auditdb` streams
them from a database, read-only); this module sorts them into findings,
grouped and counted:

* statuses unknown to :class:`MigrationStatusField` (the 1.9 object cannot
  even load such a row) and migration types no machine knows;
* statuses impossible for the row's type (no move out of them is allowed);
* rows with a NULL ``migration_type`` and the type Nova infers for them
  (:func:`nova_migration_sm.machines.determine_migration_type`);
* rows in a status that is not terminal for their type, last updated
  before a threshold (stuck migrations), oldest first, and ``done``
  evacuations still waiting for their source compute, apart.

The first two kinds break under ``enforcement = strict``; see
:attr:`AuditReport.breaking`. :class:`Audits` sums the audits of several
databases (the cells of a deployment) into one exit status.
"""

import bisect
import collections
import dataclasses
import datetime
import re

from nova_migration_sm import machines
from nova_migration_sm.operators import spool
from nova_migration_sm.statuses import MigrationStatus
from nova_migration_sm.statuses import MigrationType

DEFAULT_TABLE = 'migrations'
DEFAULT_BATCH_SIZE = 1000
DEFAULT_STALE_AFTER = datetime.timedelta(days=7)
EXAMPLES = 3
"""How many rows (the oldest) each group keeps as examples."""

CLEAN, BREAKING, NOT_CHECKED = 0, 1, 2
"""Exit statuses: checked and clean; rows would break under strict; not
everything could be checked."""

_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


def parse_duration(text: str) -> datetime.timedelta:
    """``90s``, ``30m``, ``12h``, ``7d``, ``2w`` or ``1d12h``.

    Every number needs its unit: a bare ``7`` could mean days as well as
    seconds, and is refused.
    """
    cleaned = re.sub(r'\s+', '', text.strip().lower())
    if re.fullmatch(r'\d+', cleaned):
        raise ValueError('%r has no unit; write %ss, %sm, %sh, %sd or %sw'
                         % ((text,) + (cleaned,) * 5))
    parts = re.findall(r'(\d+)([smhdw])', cleaned)
    if not parts or ''.join(n + u for n, u in parts) != cleaned:
        raise ValueError('%r is not a duration; use e.g. 90s, 30m, 12h, 7d '
                         'or 2w' % text)
    return datetime.timedelta(seconds=sum(
        int(number) * _UNITS[unit] for number, unit in parts))


@dataclasses.dataclass
class Group:
    """Rows sharing one finding: a count and the oldest few as examples.

    With ``listed`` (:attr:`AuditReport.list_rows`), every row too, in a
    :class:`nova_migration_sm.operators.spool.Listing` (on disk) or a list.
    """

    rows: int = 0
    examples: list = dataclasses.field(default_factory=list)
    """``(last change, id, uuid, deleted)`` of the oldest rows, oldest
    first."""
    listed: list | spool.Listing | None = None
    """Every row of the group (tuples of :data:`COLUMNS`), or None."""

    def add(self, when, row_id, uuid, deleted=False, row=None) -> None:
        self.rows += 1
        if self.listed is not None:
            self.listed.append(tuple(row))
        when = when or datetime.datetime.min
        entry = (when, row_id, uuid, bool(deleted))
        examples = self.examples
        if len(examples) < EXAMPLES:
            bisect.insort(examples, entry)
        elif when <= examples[-1][0]:
            # NOTE: most rows are not among the oldest: one comparison.
            if entry < examples[-1]:
                examples.pop()
                bisect.insort(examples, entry)

    @property
    def oldest(self):
        return self.examples[0][0] if self.examples else None

    def to_dict(self, cell: str | None = None) -> dict:
        found = {'rows': self.rows,
                 'oldest': iso(self.oldest),
                 'examples': [{'id': i, 'uuid': u, 'last_change': iso(w),
                               'deleted': d}
                              for w, i, u, d in sorted(self.examples)]}
        if self.listed is not None:
            found['listed'] = spool.Rows(lambda: (
                listed_row(row, cell) for row in self.oldest_first()),
                len(self.listed))
        return found

    def oldest_first(self):
        """Every row listed, by last change, then id."""
        if isinstance(self.listed, spool.Listing):
            return self.listed.oldest_first()
        return iter(sorted(self.listed, key=_last_change))


def _changed_at(row) -> datetime.datetime:
    """A row's last change: ``updated_at``, else ``created_at``."""
    values = dict(zip(COLUMNS, row))
    return (values['updated_at'] or values['created_at'] or
            datetime.datetime.min)


def _last_change(row) -> tuple:
    return _changed_at(row), row[COLUMNS.index('id')]


def listing_spool() -> spool.Spool:
    """A spool for rows of :data:`COLUMNS`, oldest by last change."""
    return spool.Spool(COLUMNS, ('created_at', 'updated_at'), _changed_at)


def listed_row(row, cell: str | None = None) -> dict:
    """One affected row as the JSON lists it: where it is, what it holds."""
    values = dict(zip(COLUMNS, row))
    return {'cell': cell, 'id': values['id'], 'uuid': values['uuid'],
            'migration_type': values['migration_type'],
            'cross_cell_move': bool(values['cross_cell_move']),
            'status': values['status'],
            'updated_at': iso(values['updated_at']),
            'deleted': bool(values['deleted'])}


def iso(when) -> str | None:
    """``2026-01-15 12:00:00``, or None for no time."""
    if when is None or when == datetime.datetime.min:
        return None
    return when.isoformat(sep=' ', timespec='seconds')


def _findings() -> collections.defaultdict:
    return collections.defaultdict(Group)


@dataclasses.dataclass
class AuditReport:
    """What :func:`audit` found; each mapping is finding key -> Group."""

    table: str
    stale_before: datetime.datetime
    rows: int = 0
    read: int = 0
    """Rows the database passed on to be judged row by row; it skipped
    the others (terminal, or in progress and recent)."""
    batches: int = 0
    server_side_cursor: bool = False
    list_rows: bool = False
    """Keep every affected row in its group (``Group.listed``), not only
    the examples, in a :class:`~nova_migration_sm.operators.spool.Spool`
    on disk: memory does not grow with the rows found. :meth:`close`
    removes it."""
    unknown_statuses: dict = dataclasses.field(default_factory=_findings)
    """``status`` (None for NULL) -> Group."""
    unknown_types: dict = dataclasses.field(default_factory=_findings)
    """``migration_type`` -> Group."""
    impossible: dict = dataclasses.field(default_factory=_findings)
    """``(type, cross_cell_move, status)`` -> Group."""
    null_types: dict = dataclasses.field(default_factory=_findings)
    """``(inferred type, status)`` -> Group."""
    stuck: dict = dataclasses.field(default_factory=_findings)
    """``(type, cross_cell_move, status)`` -> Group, older than the
    threshold and not terminal for the type."""
    done_evacuations: dict = dataclasses.field(default_factory=_findings)
    """``source_compute`` -> Group of ``done`` evacuations older than the
    threshold (the source compute has not started since)."""

    listing_spool: spool.Spool | None = dataclasses.field(
        default=None, init=False, repr=False, compare=False)
    """Where the rows listed are (``list_rows``)."""

    def __post_init__(self) -> None:
        if self.list_rows:
            self.listing_spool = listing_spool()
            for findings in self.findings():
                findings.default_factory = self._listing_group

    def _listing_group(self) -> Group:
        return Group(listed=self.listing_spool.listing())

    def close(self) -> None:
        """Remove the rows listed (the spool); the counts stay."""
        if self.listing_spool is not None:
            self.listing_spool.close()

    def findings(self) -> tuple[dict, ...]:
        """Every mapping of findings, in the order they are reported."""
        return (self.unknown_statuses, self.unknown_types, self.impossible,
                self.null_types, self.stuck, self.done_evacuations)

    @property
    def breaking(self) -> int:
        """Rows that would break under ``enforcement = strict``."""
        return sum(g.rows for findings in (
            self.unknown_statuses, self.unknown_types, self.impossible)
            for g in findings.values())

    @property
    def stuck_rows(self) -> int:
        return sum(g.rows for g in self.stuck.values())

    @property
    def done_evacuation_rows(self) -> int:
        return sum(g.rows for g in self.done_evacuations.values())

    def to_dict(self, cell: str | None = None) -> dict:
        def listed(findings, names):
            items = sorted(findings.items(),
                           key=lambda kv: (kv[1].oldest or
                                           datetime.datetime.min,
                                           str(kv[0])))
            return [dict(zip(names, key if isinstance(key, tuple)
                             else (key,)), **group.to_dict(cell))
                    for key, group in items]
        return {
            'table': self.table,
            'rows': self.rows,
            'read': self.read,
            'batches': self.batches,
            'server_side_cursor': self.server_side_cursor,
            'stale_before': iso(self.stale_before),
            'breaking_under_strict': self.breaking,
            'unknown_statuses': listed(self.unknown_statuses, ['status']),
            'unknown_types': listed(self.unknown_types, ['migration_type']),
            'impossible_statuses': listed(
                self.impossible,
                ['migration_type', 'cross_cell_move', 'status']),
            'null_types': listed(self.null_types,
                                 ['inferred_type', 'status']),
            'stuck': listed(self.stuck,
                            ['migration_type', 'cross_cell_move', 'status']),
            'done_evacuations': listed(self.done_evacuations,
                                       ['source_compute']),
        }


def machine_tables():
    """``(type, cross_cell) -> (statuses, in-progress statuses)``."""
    return {(t, cc): (frozenset(machines.statuses(t, cc)),
                      frozenset(machines.in_progress_statuses(t, cc)))
            for t in MigrationType.ALL for cc in (False, True)}


COLUMNS = ('id', 'uuid', 'migration_type', 'status', 'cross_cell_move',
           'old_instance_type_id', 'new_instance_type_id', 'source_compute',
           'created_at', 'updated_at', 'deleted')
"""The columns of Nova's ``migrations`` table :func:`check_rows` takes,
in this order."""


_TYPES = frozenset(MigrationType.ALL)
_STATUSES = frozenset(MigrationStatus.ALL)


def check_rows(report: AuditReport, rows, tables) -> None:
    """Add rows (tuples of :data:`COLUMNS`) to the report's findings.

    ``tables`` is :func:`machine_tables`, computed once per audit. The
    loop runs once per row of the table: names are bound locally and
    each finding is a ``defaultdict(Group)``.
    """
    stale_before = report.stale_before
    null_types, unknown_types = report.null_types, report.unknown_types
    unknown_statuses, impossible = report.unknown_statuses, report.impossible
    stuck, done_evacuations = report.stuck, report.done_evacuations
    evacuation, done = MigrationType.EVACUATION, MigrationStatus.DONE
    for row in rows:
        (row_id, uuid, migration_type, status, cross_cell, old_flavor,
         new_flavor, source_compute, created_at, updated_at, deleted) = row
        when = updated_at or created_at
        if migration_type is None:
            migration_type = machines.determine_migration_type(
                {'old_instance_type_id': old_flavor,
                 'new_instance_type_id': new_flavor})
            null_types[migration_type, status].add(
                when, row_id, uuid, deleted, row)
        elif migration_type not in _TYPES:
            unknown_types[migration_type].add(
                when, row_id, uuid, deleted, row)
            continue
        if status not in _STATUSES:
            unknown_statuses[status].add(
                when, row_id, uuid, deleted, row)
            continue
        cross_cell = bool(cross_cell)
        known, in_progress = tables[migration_type, cross_cell]
        if status not in known:
            impossible[migration_type, cross_cell, status].add(
                when, row_id, uuid, deleted, row)
        elif when is None or when >= stale_before:
            continue
        elif migration_type == evacuation and status == done:
            done_evacuations[source_compute].add(
                when, row_id, uuid, deleted, row)
        elif status in in_progress:
            stuck[migration_type, cross_cell, status].add(
                when, row_id, uuid, deleted, row)


@dataclasses.dataclass
class DatabaseAudit:
    """The audit of one database: its report, or why it has none."""

    name: str
    """The cell's name (its uuid if it has none), or the URL shown."""
    database: str
    """The URL, password as ``***``."""
    uuid: str | None = None
    """The cell's uuid in ``cell_mappings``; None for a URL given."""
    report: AuditReport | None = None
    error: str | None = None
    """Why the database could not be checked (one line)."""
    shared_with: str | None = None
    """The cell whose audit covers this one's database too: it is the
    same database, audited once."""

    def to_dict(self) -> dict:
        return {'name': self.name, 'uuid': self.uuid,
                'database': self.database,
                'checked': self.report is not None, 'error': self.error,
                'shared_with': self.shared_with,
                'report': (self.report.to_dict(self.name)
                           if self.report else None)}


@dataclasses.dataclass
class Audits:
    """The audits of every database asked for, and their one verdict."""

    databases: list[DatabaseAudit] = dataclasses.field(default_factory=list)

    @property
    def reports(self) -> list[AuditReport]:
        return [d.report for d in self.databases if d.report is not None]

    def close(self) -> None:
        """Remove every report's rows listed (:meth:`AuditReport.close`)."""
        for report in self.reports:
            report.close()

    @property
    def not_checked(self) -> list[DatabaseAudit]:
        return [d for d in self.databases
                if d.report is None and d.shared_with is None]

    @property
    def shared(self) -> list[DatabaseAudit]:
        """Cells whose database another cell's audit covers."""
        return [d for d in self.databases if d.shared_with is not None]

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.reports)

    @property
    def breaking(self) -> int:
        return sum(r.breaking for r in self.reports)

    @property
    def stuck_rows(self) -> int:
        return sum(r.stuck_rows for r in self.reports)

    @property
    def done_evacuation_rows(self) -> int:
        return sum(r.done_evacuation_rows for r in self.reports)

    @property
    def exit_status(self) -> int:
        """The one exit status of every audit.

        :data:`NOT_CHECKED` when a database (or every one, when there is
        none) could not be checked, else :data:`BREAKING` when rows would
        break, else :data:`CLEAN`.
        """
        if not self.databases or self.not_checked:
            return NOT_CHECKED
        return BREAKING if self.breaking else CLEAN

    def to_dict(self) -> dict:
        return {
            'databases': [d.to_dict() for d in self.databases],
            'total': {
                'databases': len(self.databases),
                'not_checked': len(self.not_checked),
                'shared': len(self.shared),
                'rows': self.rows,
                'breaking_under_strict': self.breaking,
                'stuck': self.stuck_rows,
                'done_evacuations': self.done_evacuation_rows,
            },
            'exit_status': self.exit_status,
        }
