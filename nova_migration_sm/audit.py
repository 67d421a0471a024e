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

"""A read-only audit of a Nova ``migrations`` table against the machines.

It streams the table (SQLAlchemy Core, ``yield_per``: a server-side
cursor on PostgreSQL and MySQL/MariaDB, stepped cursor on SQLite), so its
memory does not grow with the table, and reports, grouped and counted:

* statuses unknown to :class:`MigrationStatusField` (the 1.9 object cannot
  even load such a row) and migration types no machine knows;
* statuses impossible for the row's type (no move out of them is allowed);
* rows with a NULL ``migration_type`` and the type Nova infers for them
  (:func:`nova_migration_sm.machines.determine_migration_type`);
* rows in a status that is not terminal for their type, last updated
  before a threshold (stuck migrations), oldest first, and ``done``
  evacuations still waiting for their source compute, apart.

The first two kinds break under ``enforcement = strict``; see
:attr:`AuditReport.breaking`. Only ``SELECT`` statements are issued (in a
read-only transaction where the backend has one).
"""

import bisect
import dataclasses
import datetime
import re

from oslo_utils import timeutils
import sqlalchemy as sa

from nova_migration_sm import machines
from nova_migration_sm.statuses import MigrationStatus
from nova_migration_sm.statuses import MigrationType

DEFAULT_TABLE = 'migrations'
DEFAULT_BATCH_SIZE = 1000
DEFAULT_STALE_AFTER = datetime.timedelta(days=7)
EXAMPLES = 3
"""How many rows (the oldest) each group keeps as examples."""

_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


def parse_duration(text: str) -> datetime.timedelta:
    """``90``, ``90s``, ``30m``, ``12h``, ``7d``, ``2w`` or ``1d12h``."""
    parts = re.findall(r'(\d+)\s*([smhdw]?)', text.strip().lower())
    if not parts or ''.join(n + u for n, u in parts) != re.sub(
            r'\s+', '', text.strip().lower()):
        raise ValueError('Invalid duration %r; use e.g. 90s, 30m, 12h, 7d '
                         'or 2w' % text)
    return datetime.timedelta(seconds=sum(
        int(number) * _UNITS[unit or 's'] for number, unit in parts))


def migrations_table(name: str = DEFAULT_TABLE) -> sa.TableClause:
    """The columns of Nova's ``migrations`` table the audit reads."""
    return sa.table(
        name,
        sa.column('id', sa.Integer),
        sa.column('uuid', sa.String),
        sa.column('migration_type', sa.String),
        sa.column('status', sa.String),
        sa.column('cross_cell_move', sa.Boolean),
        sa.column('old_instance_type_id', sa.Integer),
        sa.column('new_instance_type_id', sa.Integer),
        sa.column('source_compute', sa.String),
        sa.column('created_at', sa.DateTime),
        sa.column('updated_at', sa.DateTime),
        sa.column('deleted', sa.Integer),
    )


@dataclasses.dataclass
class Group:
    """Rows sharing one finding: a count and the oldest few as examples."""

    rows: int = 0
    examples: list = dataclasses.field(default_factory=list)
    """``(last change, id, uuid)`` of the oldest rows, oldest first."""

    def add(self, when, row_id, uuid) -> None:
        self.rows += 1
        entry = (when or datetime.datetime.min, row_id, uuid)
        if len(self.examples) < EXAMPLES:
            bisect.insort(self.examples, entry)
        elif entry < self.examples[-1]:
            self.examples.pop()
            bisect.insort(self.examples, entry)

    @property
    def oldest(self):
        return self.examples[0][0] if self.examples else None

    def to_dict(self) -> dict:
        return {'rows': self.rows,
                'oldest': _iso(self.oldest),
                'examples': [{'id': i, 'uuid': u, 'last_change': _iso(w)}
                             for w, i, u in sorted(self.examples)]}


def _iso(when) -> str | None:
    if when is None or when == datetime.datetime.min:
        return None
    return when.isoformat(sep=' ', timespec='seconds')


@dataclasses.dataclass
class AuditReport:
    """What :func:`audit` found; each mapping is finding key -> Group."""

    table: str
    stale_before: datetime.datetime
    rows: int = 0
    batches: int = 0
    server_side_cursor: bool = False
    unknown_statuses: dict = dataclasses.field(default_factory=dict)
    """``status`` (None for NULL) -> Group."""
    unknown_types: dict = dataclasses.field(default_factory=dict)
    """``migration_type`` -> Group."""
    impossible: dict = dataclasses.field(default_factory=dict)
    """``(type, cross_cell_move, status)`` -> Group."""
    null_types: dict = dataclasses.field(default_factory=dict)
    """``(inferred type, status)`` -> Group."""
    stuck: dict = dataclasses.field(default_factory=dict)
    """``(type, cross_cell_move, status)`` -> Group, older than the
    threshold and not terminal for the type."""
    done_evacuations: dict = dataclasses.field(default_factory=dict)
    """``source_compute`` -> Group of ``done`` evacuations older than the
    threshold (the source compute has not started since)."""

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

    def _add(self, findings: dict, key, when, row_id, uuid) -> None:
        group = findings.get(key)
        if group is None:
            group = findings[key] = Group()
        group.add(when, row_id, uuid)

    def to_dict(self) -> dict:
        def listed(findings, names):
            items = sorted(findings.items(),
                           key=lambda kv: (kv[1].oldest or
                                           datetime.datetime.min,
                                           str(kv[0])))
            return [dict(zip(names, key if isinstance(key, tuple)
                             else (key,)), **group.to_dict())
                    for key, group in items]
        return {
            'table': self.table,
            'rows': self.rows,
            'batches': self.batches,
            'stale_before': _iso(self.stale_before),
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


def _machine_tables():
    """``(type, cross_cell) -> (statuses, in-progress statuses)``."""
    return {(t, cc): (frozenset(machines.statuses(t, cc)),
                      frozenset(machines.in_progress_statuses(t, cc)))
            for t in MigrationType.ALL for cc in (False, True)}


def _check_rows(report: AuditReport, rows, tables) -> None:
    stale_before = report.stale_before
    for (row_id, uuid, migration_type, status, cross_cell, old_flavor,
         new_flavor, source_compute, created_at, updated_at, _) in rows:
        when = updated_at or created_at
        if migration_type is None:
            migration_type = machines.determine_migration_type(
                {'old_instance_type_id': old_flavor,
                 'new_instance_type_id': new_flavor})
            report._add(report.null_types, (migration_type, status), when,
                        row_id, uuid)
        elif migration_type not in MigrationType.ALL:
            report._add(report.unknown_types, migration_type, when, row_id,
                        uuid)
            continue
        if status not in MigrationStatus.ALL:
            report._add(report.unknown_statuses, status, when, row_id, uuid)
            continue
        cross_cell = bool(cross_cell)
        known, in_progress = tables[(migration_type, cross_cell)]
        if status not in known:
            report._add(report.impossible,
                        (migration_type, cross_cell, status), when, row_id,
                        uuid)
        elif when is None or when >= stale_before:
            continue
        elif (migration_type == MigrationType.EVACUATION and
                status == MigrationStatus.DONE):
            report._add(report.done_evacuations, source_compute, when,
                        row_id, uuid)
        elif status in in_progress:
            report._add(report.stuck, (migration_type, cross_cell, status),
                        when, row_id, uuid)


def _read_only(connection) -> sa.Connection:
    if connection.dialect.name == 'postgresql':
        return connection.execution_options(postgresql_readonly=True)
    if connection.dialect.name in ('mysql', 'mariadb'):
        # NOTE: applies to the next transaction, the one the SELECT opens.
        connection.exec_driver_sql('SET TRANSACTION READ ONLY')
    return connection


def count_rows(engine: sa.Engine, table: str = DEFAULT_TABLE,
               include_deleted: bool = False) -> int:
    """How many rows :func:`audit` will read (for progress)."""
    migrations = migrations_table(table)
    stmt = sa.select(sa.func.count()).select_from(migrations)
    if not include_deleted:
        stmt = stmt.where(migrations.c.deleted == 0)
    with engine.connect() as connection:
        return connection.execute(stmt).scalar_one()


def audit(engine: sa.Engine, stale_after: datetime.timedelta =
          DEFAULT_STALE_AFTER, table: str = DEFAULT_TABLE,
          batch_size: int = DEFAULT_BATCH_SIZE, include_deleted: bool = False,
          now: datetime.datetime | None = None,
          on_batch=None) -> AuditReport:
    """Stream a ``migrations`` table and report what the machines say.

    ``on_batch(report)`` is called after each batch of ``batch_size`` rows
    (progress). ``now`` is naive UTC, as Nova stores its timestamps.
    """
    now = now or timeutils.utcnow()
    report = AuditReport(table=table, stale_before=now - stale_after)
    tables = _machine_tables()
    migrations = migrations_table(table)
    stmt = sa.select(*migrations.c)
    if not include_deleted:
        stmt = stmt.where(migrations.c.deleted == 0)
    with engine.connect() as connection:
        connection = _read_only(connection)
        result = connection.execution_options(
            yield_per=batch_size).execute(stmt)
        # NOTE: SQLAlchemy has no public flag for "this result streams".
        report.server_side_cursor = bool(
            getattr(result.context, '_is_server_side', False))
        for batch in result.partitions():
            report.batches += 1
            report.rows += len(batch)
            _check_rows(report, batch, tables)
            if on_batch is not None:
                on_batch(report)
    return report
