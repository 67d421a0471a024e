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

"""Stream a Nova ``migrations`` table, read-only, into an audit report.

The database itself skips the rows the audit would find nothing in
(:func:`candidates`: a terminal status of the row's type, or an
in-progress one updated recently), so Python only sees the rows that
may be findings, and
:func:`nova_migration_sm.operators.audit.check_rows` judges each of them.
They are streamed: a server-side cursor on PostgreSQL and
MySQL/MariaDB, a stepped cursor on SQLite, so memory does not grow with
the table. Only ``SELECT`` statements are issued, in a read-only
transaction where the backend has one; SQLite files are opened read-only
(:mod:`nova_migration_sm.operators.dburl`). The cells of a deployment are
audited concurrently, one connection each (:func:`audit_targets`).
"""

import concurrent.futures
import contextlib
import dataclasses
import datetime
import math
import os
import sqlite3
import threading

from oslo_utils import timeutils
import sqlalchemy as sa

from nova_migration_sm.operators import audit
from nova_migration_sm.operators import dburl
from nova_migration_sm.statuses import MigrationStatus
from nova_migration_sm.statuses import MigrationType

MAX_CONCURRENT_CELLS = min(16, max(4, 2 * (os.cpu_count() or 1)))
"""Cells read at once, each on one connection of its own: twice the
CPUs (the database and the audit each take one), at least 4, at most
16."""
TRAIN_COLUMNS = {'cross_cell_move': '397_migrations_cross_cell_move'}
"""Columns the audit reads that Nova Train (20.0.0) added, with the
schema migration that added them (``nova/db/sqlalchemy/migrate_repo``)."""


@dataclasses.dataclass(frozen=True)
class Target:
    """One database to audit: a cell, or a URL given on the command line.

    ``error`` is set instead of ``url`` when the database cannot even be
    named (a cell whose URL template cannot be filled in, say).
    """

    name: str
    url: sa.URL | None
    uuid: str | None = None
    error: str | None = None

    @property
    def database(self) -> str:
        return dburl.shown(self.url) if self.url is not None else '-'

    @classmethod
    def from_url(cls, text: str) -> 'Target':
        """A database given by URL; CannotCheck if it is no URL."""
        url = dburl.parse(text)
        return cls(name=dburl.shown(url), url=url)


def migrations_table(name: str = audit.DEFAULT_TABLE) -> sa.TableClause:
    """The columns of Nova's ``migrations`` table the audit reads."""
    types = {'id': sa.Integer, 'cross_cell_move': sa.Boolean,
             'old_instance_type_id': sa.Integer,
             'new_instance_type_id': sa.Integer,
             'created_at': sa.DateTime, 'updated_at': sa.DateTime,
             'deleted': sa.Integer}
    return sa.table(name, *(sa.column(c, types.get(c, sa.String))
                            for c in audit.COLUMNS))


def _selected(table: str | sa.TableClause, include_deleted: bool,
              *columns):
    migrations = (migrations_table(table) if isinstance(table, str)
                  else table)
    stmt = sa.select(*(columns or migrations.c)).select_from(migrations)
    if not include_deleted:
        stmt = stmt.where(migrations.c.deleted == 0)
    return stmt


def _time_literal(when: datetime.datetime, dialect: str):
    """``when`` as SQL the backend compares with a DateTime column.

    SQLite stores SQLAlchemy's DateTime as text, ``YYYY-MM-DD
    HH:MM:SS.ffffff``: ``when`` is compared as text, to the second and
    rounded up, so the comparison errs towards reading a row, never
    towards skipping it.
    """
    if dialect == 'sqlite':
        when = when.replace(microsecond=0) + datetime.timedelta(
            seconds=math.ceil(when.microsecond / 1e6))
        return sa.literal_column("'%s'" % when.isoformat(sep=' '))
    return sa.literal_column("'%s'" % when.isoformat(
        sep=' ', timespec='microseconds'))


def _exact(column, dialect: str):
    """``column``, compared byte for byte.

    MySQL's default collations ignore case and trailing spaces; the
    machines do not.
    """
    if dialect in ('mysql', 'mariadb'):
        return sa.func.binary(column, type_=sa.String)
    return column


def candidates(migrations, stale_before: datetime.datetime, tables,
               dialect: str):
    """SQL true for every row :func:`audit.check_rows` may find a thing in.

    False only for a known type with a status of its machine that is
    terminal, or in progress and updated at or after ``stale_before``
    (or never): rows ``check_rows`` skips. The CASE makes a NULL
    anywhere a candidate. ``tables`` is :func:`audit.machine_tables`.
    """
    c = migrations.c
    migration_type = _exact(c.migration_type, dialect)
    status = _exact(c.status, dialect)
    when = sa.func.coalesce(c.updated_at, c.created_at)
    recent = when >= _time_literal(stale_before, dialect)
    if dialect == 'sqlite':
        # NOTE: text in another form (an ISO 'T') is never recent here:
        # Python judges it.
        recent = sa.and_(recent, sa.func.substr(when, 11, 1) == ' ')
    recent = sa.or_(when.is_(None), recent)
    quiet = []
    for type_ in MigrationType.ALL:
        variants = {cross_cell: tables[type_, cross_cell]
                    for cross_cell in (False, True)}
        for cross_cell, (known, in_progress) in variants.items():
            waiting = set(in_progress)
            if type_ == MigrationType.EVACUATION:
                waiting.add(MigrationStatus.DONE)
            ended = sorted(known - waiting)
            waiting = sorted(waiting & known)
            if variants[False] == variants[True]:
                same_variant = sa.true()  # one machine for both
            elif cross_cell:
                same_variant = c.cross_cell_move != sa.false()
            else:
                same_variant = sa.or_(c.cross_cell_move.is_(None),
                                      c.cross_cell_move == sa.false())
            quiet.append(sa.and_(
                migration_type == type_, same_variant,
                sa.or_(status.in_(ended),
                       sa.and_(status.in_(waiting), recent))))
            if variants[False] == variants[True]:
                break
    return sa.case((sa.or_(*quiet), 0), else_=1) == 1


def count_rows(bind: sa.Engine | sa.Connection,
               table: str = audit.DEFAULT_TABLE,
               include_deleted: bool = False) -> int:
    """How many rows :func:`audit_table` will read (for progress)."""
    stmt = _selected(table, include_deleted, sa.func.count())
    with _connection(bind) as connection:
        return connection.execute(stmt).scalar_one()


@contextlib.contextmanager
def _connection(bind: sa.Engine | sa.Connection):
    """``bind`` as a connection.

    A new read-only one for an engine, else itself (its owner chose its
    mode: :func:`dburl.connect`).
    """
    if isinstance(bind, sa.Engine):
        with bind.connect() as connection:
            yield dburl.read_only_session(connection)
    else:
        yield bind


def audit_table(bind: sa.Engine | sa.Connection,
                stale_after: datetime.timedelta = audit.DEFAULT_STALE_AFTER,
                table: str = audit.DEFAULT_TABLE,
                batch_size: int = audit.DEFAULT_BATCH_SIZE,
                include_deleted: bool = False,
                now: datetime.datetime | None = None,
                on_batch=None, list_rows: bool = False) -> audit.AuditReport:
    """Stream a ``migrations`` table and report what the machines say.

    ``report.rows`` is every row; the database judges most of them
    (:func:`candidates`) and passes on ``report.read`` rows, in batches of
    ``batch_size``. ``on_batch(report)`` is called after each batch
    (progress). ``now`` is naive UTC, as Nova stores its timestamps.
    ``list_rows`` keeps every affected row (:attr:`AuditReport.list_rows`).
    """
    if batch_size < 1:
        raise ValueError('batch_size must be at least 1, not %r'
                         % batch_size)
    now = now or timeutils.utcnow()
    report = audit.AuditReport(table=table, stale_before=now - stale_after,
                               list_rows=list_rows)
    tables = audit.machine_tables()
    migrations = migrations_table(table)
    with _connection(bind) as connection:
        dialect = connection.dialect.name
        stmt = _selected(migrations, include_deleted).where(candidates(
            migrations, report.stale_before, tables, dialect))
        report.rows = connection.execute(_selected(
            migrations, include_deleted, sa.func.count())).scalar_one()
        batches = _driver_batches(connection, stmt, batch_size)
        report.server_side_cursor = (batches is not None and
                                     dialect != 'sqlite')
        if batches is None:
            result = connection.execution_options(
                yield_per=batch_size).execute(stmt)
            # NOTE: SQLAlchemy has no public flag for "this result
            # streams".
            report.server_side_cursor = bool(
                getattr(result.context, '_is_server_side', False))
            batches = result.partitions()
        for batch in batches:
            report.batches += 1
            report.read += len(batch)
            audit.check_rows(report, batch, tables)
            if on_batch is not None:
                on_batch(report)
    return report


SQLITE_TIMESTAMP = 'nmsm_datetime'
"""The sqlite3 converter of the audit's timestamp columns."""
_TIMESTAMPS = ('created_at', 'updated_at')


def _sqlite_timestamp(value: bytes | str | None) -> datetime.datetime | None:
    """SQLAlchemy's SQLite DateTime text as a datetime (None for NULL)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    return datetime.datetime.fromisoformat(value)


def _sqlite_parses(dbapi_connection: sqlite3.Connection) -> bool:
    """Whether the connection converts ``[nmsm_datetime]`` columns.

    :func:`dburl.engine` opens SQLite with ``PARSE_COLNAMES``; an engine
    made elsewhere may not.
    """
    sqlite3.register_converter(SQLITE_TIMESTAMP, _sqlite_timestamp)
    value, = dbapi_connection.execute(
        "SELECT '2000-01-01 00:00:00' AS \"t [%s]\"" % SQLITE_TIMESTAMP
    ).fetchone()
    return isinstance(value, datetime.datetime)


def _parse_timestamps(batch: list) -> list:
    """The rows of a batch with their timestamps (text) as datetimes."""
    at = [audit.COLUMNS.index(name) for name in _TIMESTAMPS]
    return [tuple(_sqlite_timestamp(value) if index in at else value
                  for index, value in enumerate(row)) for row in batch]


def _driver_cursor(connection: sa.Connection, stmt):
    """A cursor of the driver itself and the statement for it, or None.

    A server-side cursor on psycopg2 and PyMySQL; on SQLite, its cursor,
    steps through the table, with the timestamp columns labelled for the
    sqlite3 converter.
    """
    driver = connection.dialect.driver
    dbapi_connection = connection.connection.driver_connection
    if driver == 'psycopg2':
        return dbapi_connection.cursor(name='nova_migration_sm_audit'), stmt
    if driver == 'pymysql':
        from pymysql import cursors
        return dbapi_connection.cursor(cursors.SSCursor), stmt
    if driver == 'pysqlite':
        stmt = stmt.with_only_columns(*(
            column.label('%s [%s]' % (column.name, SQLITE_TIMESTAMP))
            if column.name in _TIMESTAMPS else column
            for column in stmt.selected_columns))
        return dbapi_connection.cursor(), stmt
    return None, stmt


def _driver_batches(connection: sa.Connection, stmt, batch_size: int):
    """Batches of plain tuples from the driver's own cursor, or None.

    psycopg2 and PyMySQL return the columns the audit reads as Python
    values already (datetime, bool or int, str), so their server-side
    cursor is read directly, without a SQLAlchemy Row per row: the audit
    then reads as fast as a raw streaming SELECT (see
    ``benchmarks/audit.py``). SQLite's cursor is read the same way, its
    text timestamps parsed by a sqlite3 converter (or, on a connection
    opened without one, batch by batch). Other drivers go through
    SQLAlchemy (None here).
    """
    cursor, stmt = _driver_cursor(connection, stmt)
    if cursor is None:
        return None
    parsed = (connection.dialect.driver != 'pysqlite' or
              _sqlite_parses(connection.connection.driver_connection))
    sql = str(stmt.compile(dialect=connection.dialect,
                           compile_kwargs={'literal_binds': True}))
    error_class = connection.dialect.loaded_dbapi.Error

    def batches():
        try:
            cursor.execute(sql)
            while True:
                batch = cursor.fetchmany(batch_size)
                if not batch:
                    return
                yield batch if parsed else _parse_timestamps(batch)
        except error_class as error:
            raise dburl.CannotCheck('%s: cannot read: %s' % (
                dburl.shown(connection.engine.url),
                dburl.first_line(error))) from None
        finally:
            cursor.close()
    return batches()


def _check_columns(connection: sa.Connection, url: sa.URL,
                   table: str) -> None:
    """CannotCheck unless ``table`` has every column the audit reads."""
    found = {column['name'] for column in
             sa.inspect(connection).get_columns(table)}
    missing = [name for name in audit.COLUMNS if name not in found]
    if not missing:
        return
    names = ', '.join(missing)
    plural = 's' if len(missing) > 1 else ''
    if set(missing) <= set(TRAIN_COLUMNS):
        raise dburl.CannotCheck(
            '%s: table %s has no column%s %s: its schema is older than '
            'Nova Train (20.0.0), whose schema migration %s added it; '
            'upgrade Nova (nova-manage db sync) before auditing' % (
                dburl.shown(url), table, plural, names,
                ', '.join(TRAIN_COLUMNS[m] for m in missing)))
    raise dburl.CannotCheck('%s: table %s has no column%s %s; is it Nova\'s '
                            'migrations table?' % (dburl.shown(url), table,
                                                   plural, names))


class _Stopped(Exception):
    """Another thread asked the audit to stop (a signal)."""


def audit_target(target: Target, progress=None, stop=None,
                 **kwargs) -> audit.DatabaseAudit:
    """Audit one database; a failure to read it is in the result.

    ``progress``, if given, has ``start(name, total_rows)`` and
    ``read(name, rows)``, called after each batch. ``stop``, a
    threading.Event, ends the audit after the batch it is set in.
    ``kwargs`` go to :func:`audit_table`.
    """
    result = audit.DatabaseAudit(name=target.name, database=target.database,
                                 uuid=target.uuid, error=target.error)
    if target.url is None:
        return result
    table = kwargs.get('table', audit.DEFAULT_TABLE)

    def on_batch(report: audit.AuditReport) -> None:
        if stop is not None and stop.is_set():
            raise _Stopped()
        if progress is not None:
            progress.read(target.name, report.read)

    try:
        with dburl.reading(target.url, table) as connection:
            _check_columns(connection, target.url, table)
            if progress is not None:
                progress.start(target.name, count_rows(
                    connection, table, kwargs.get('include_deleted', False)))
            result.report = audit_table(connection, on_batch=on_batch,
                                        **kwargs)
    except dburl.CannotCheck as error:
        result.error = str(error)
    return result


def audit_targets(targets: list[Target], progress=None,
                  **kwargs) -> audit.Audits:
    """:func:`audit_target` of each target, in their order.

    The databases are read concurrently, each on one connection of its
    own (at most :data:`MAX_CONCURRENT_CELLS` at once): the cells take
    about as long as the largest. Cells that share a database (the same
    :func:`dburl.identity`) are audited once, under the first; the others
    say so (``shared_with``).
    """
    results: list[audit.DatabaseAudit | None] = [None] * len(targets)
    first: dict[tuple, Target] = {}
    jobs: dict[int, Target] = {}
    for index, target in enumerate(targets):
        key = dburl.identity(target.url) if target.url is not None else None
        if key in first:
            results[index] = audit.DatabaseAudit(
                name=target.name, database=target.database, uuid=target.uuid,
                shared_with=first[key].name)
            continue
        if key is not None:
            first[key] = target
        jobs[index] = target
    if len(jobs) == 1:
        (index, target), = jobs.items()
        results[index] = audit_target(target, progress, **kwargs)
        return audit.Audits(results)
    stop = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(
            max_workers=max(1, min(MAX_CONCURRENT_CELLS, len(jobs))),
            thread_name_prefix='audit') as pool:
        futures = {pool.submit(audit_target, target, progress, stop,
                               **kwargs): index
                   for index, target in jobs.items()}
        try:
            for future in concurrent.futures.as_completed(futures):
                results[futures[future]] = future.result()
        except BaseException:
            # NOTE: a signal (Interrupted) or a bug: every cell stops
            # after its current batch, and its connection is closed.
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return audit.Audits(results)
