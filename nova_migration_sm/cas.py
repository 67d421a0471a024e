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

"""The compare-and-swap that makes a checked status move atomic.

Plain SQLAlchemy Core on any ``migrations`` table (ours or Nova's): one
``UPDATE`` carries every value of the save and only matches while the row
still holds a status the move was checked against, so the check and the
write are one step on SQLite, PostgreSQL and MariaDB alike, whatever their
isolation level. The row is read only when the ``UPDATE`` matched nothing,
to name what it holds.
"""

import functools

from oslo_db import exception as db_exc
import sqlalchemy as sa

from nova_migration_sm import exceptions


def update_if_status(session, table: sa.Table, migration_id: int,
                     values: dict, expected_statuses) -> bool:
    """UPDATE the row with ``values`` only while its status is expected.

    ``expected_statuses`` is a sequence of statuses (None for NULL).
    Returns True when written, False when there is no such row; raises
    :class:`MigrationStatusConflict` (``actual``: the status the row holds)
    when another writer moved it. Nothing is written in the last two cases.

    The read after a miss is a locking read (``SELECT ... FOR UPDATE``):
    under REPEATABLE READ (MariaDB's default) a plain read could return the
    transaction's snapshot instead of the committed status. When the row
    it locks does hold an expected status (it matched but changed nothing,
    as MySQL reports without ``CLIENT.FOUND_ROWS``, or it moved there after
    the ``UPDATE`` looked), the ``UPDATE`` runs again under that lock.
    """
    expected = tuple(expected_statuses)
    stmt = (sa.update(table)
            .where(table.c.id == migration_id)
            .where(_status_in(table.c.status, expected))
            .values(**values))
    if session.execute(stmt).rowcount == 1:
        return True
    row = session.execute(
        sa.select(table.c.uuid, table.c.migration_type, table.c.status)
        .where(table.c.id == migration_id).with_for_update()).first()
    if row is None:
        return False
    if row.status in expected:
        # NOTE: the row moved into an expected status after the UPDATE
        # looked (PostgreSQL and READ COMMITTED do not lock a row the WHERE
        # rejects), or it matched with nothing to change (affected rows 0).
        # The locking read holds the row now: write again.
        session.execute(stmt)
        return True
    raise exceptions.MigrationStatusConflict(
        migration=row.uuid or 'id=%s' % migration_id,
        migration_type=row.migration_type, expected=_one(expected),
        actual=row.status, to_status=values.get('status'), allowed=expected)


def conflict_when_retries_run_out(write):
    """Turn a deadlock that outlived its retries into a conflict.

    Put it outside ``oslo_db.api.wrap_db_retry`` on a DB API function that
    takes ``expected_statuses``. On Galera a conditional write whose commit
    failed certification every time (other nodes kept writing the row)
    reaches the caller as :class:`MigrationStatusConflict`, as any other
    write that lost the row, never as a raw ``DBDeadlock``; nothing was
    written. An unconditional write keeps oslo.db's ``DBDeadlock``.
    """
    @functools.wraps(write)
    def wrapper(context, migration_id, values, expected_statuses=None,
                **kwargs):
        try:
            return write(context, migration_id, values,
                         expected_statuses=expected_statuses, **kwargs)
        except db_exc.DBDeadlock:
            if expected_statuses is None:
                raise
            expected = tuple(expected_statuses)
            raise exceptions.MigrationStatusConflict(
                'Migration id=%s: the write of status %r on condition that '
                'the row holds %s deadlocked (on Galera: failed '
                'certification) on every retry, as other writers kept '
                'moving the row; nothing was written.' % (
                    migration_id, values.get('status'), _one(expected)),
                migration='id=%s' % migration_id, expected=_one(expected),
                actual=None, to_status=values.get('status'),
                allowed=expected)
    return wrapper


def _status_in(column, expected: tuple):
    clauses = [column.is_(None)] if None in expected else []
    known = [status for status in expected if status is not None]
    if known:
        clauses.append(column.in_(known))
    return sa.or_(*clauses) if clauses else sa.false()


def _one(expected: tuple):
    return expected[0] if len(expected) == 1 else ' or '.join(
        repr(status) for status in expected)
