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


def _status_in(column, expected: tuple):
    clauses = [column.is_(None)] if None in expected else []
    known = [status for status in expected if status is not None]
    if known:
        clauses.append(column.in_(known))
    return sa.or_(*clauses) if clauses else sa.false()


def _one(expected: tuple):
    return expected[0] if len(expected) == 1 else ' or '.join(
        repr(status) for status in expected)
