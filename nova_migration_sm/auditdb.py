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

SQLAlchemy Core with ``yield_per``: a server-side cursor on PostgreSQL and
MySQL/MariaDB, a stepped cursor on SQLite, so memory does not grow with
the table. Only ``SELECT`` statements are issued, in a read-only
transaction where the backend has one; SQLite files are opened read-only
(:mod:`nova_migration_sm.dburl`).
"""

import contextlib
import dataclasses
import datetime

from oslo_utils import timeutils
import sqlalchemy as sa

from nova_migration_sm import audit
from nova_migration_sm import dburl


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


def _selected(table: str, include_deleted: bool, *columns):
    migrations = migrations_table(table)
    stmt = sa.select(*(columns or migrations.c)).select_from(migrations)
    if not include_deleted:
        stmt = stmt.where(migrations.c.deleted == 0)
    return stmt


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

    ``on_batch(report)`` is called after each batch of ``batch_size`` rows
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
    stmt = _selected(table, include_deleted)
    with _connection(bind) as connection:
        batches = _driver_batches(connection, stmt, batch_size)
        report.server_side_cursor = batches is not None
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
            report.rows += len(batch)
            audit.check_rows(report, batch, tables)
            if on_batch is not None:
                on_batch(report)
    return report


def _server_side_cursor(connection: sa.Connection):
    """A server-side cursor of the driver, or None for another driver."""
    driver = connection.dialect.driver
    dbapi_connection = connection.connection.driver_connection
    if driver == 'psycopg2':
        return dbapi_connection.cursor(name='nova_migration_sm_audit')
    if driver == 'pymysql':
        from pymysql import cursors
        return dbapi_connection.cursor(cursors.SSCursor)
    return None


def _driver_batches(connection: sa.Connection, stmt, batch_size: int):
    """Batches of plain tuples from a server-side cursor, or None.

    psycopg2 and PyMySQL return the columns the audit reads as Python
    values already (datetime, bool or int, str), so their server-side
    cursor is read directly, without a SQLAlchemy Row per row: the audit
    then reads as fast as a raw streaming SELECT (see
    ``benchmarks/audit.py``). Other drivers, and SQLite whose timestamps
    are text, go through SQLAlchemy (None here).
    """
    cursor = _server_side_cursor(connection)
    if cursor is None:
        return None
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
                yield batch
        except error_class as error:
            raise dburl.CannotCheck('%s: cannot read: %s' % (
                dburl.shown(connection.engine.url),
                dburl.first_line(error))) from None
        finally:
            cursor.close()
    return batches()


def audit_target(target: Target, progress=None,
                 **kwargs) -> audit.DatabaseAudit:
    """Audit one database; a failure to read it is in the result.

    ``progress``, if given, has ``start(name, total_rows)`` and is called
    with the report after each batch. ``kwargs`` go to :func:`audit_table`.
    """
    result = audit.DatabaseAudit(name=target.name, database=target.database,
                                 uuid=target.uuid, error=target.error)
    if target.url is None:
        return result
    table = kwargs.get('table', audit.DEFAULT_TABLE)
    try:
        with dburl.reading(target.url, table) as connection:
            if progress is not None:
                progress.start(target.name, count_rows(
                    connection, table, kwargs.get('include_deleted', False)))
            result.report = audit_table(connection, on_batch=progress,
                                        **kwargs)
    except dburl.CannotCheck as error:
        result.error = str(error)
    return result


def audit_targets(targets: list[Target], progress=None,
                  **kwargs) -> audit.Audits:
    """:func:`audit_target` of each target, in order."""
    return audit.Audits([audit_target(t, progress, **kwargs)
                         for t in targets])
