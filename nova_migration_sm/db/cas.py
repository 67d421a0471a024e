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

Plain SQLAlchemy Core on any ``migrations`` table (ours or Nova's): the
UPDATE only matches while the row still holds the status the move was
checked from, so the check and the write are one step on SQLite,
PostgreSQL and MariaDB alike, whatever their isolation level.
"""

import sqlalchemy as sa

from nova_migration_sm import exceptions


def update_if_status(session, table: sa.Table, migration_id: int,
                     values: dict, expected_status: str | None) -> bool:
    """UPDATE the row only while it holds ``expected_status``.

    Returns False when there is no such row; raises
    :class:`MigrationStatusConflict`, naming the status the row holds, when
    another writer moved it first. Nothing is written in either case.
    """
    stmt = (sa.update(table)
            .where(table.c.id == migration_id)
            .where(table.c.status.is_not_distinct_from(expected_status))
            .values(**values))
    if session.execute(stmt).rowcount == 1:
        return True
    row = session.execute(
        sa.select(table.c.uuid, table.c.migration_type, table.c.status)
        .where(table.c.id == migration_id)).first()
    if row is None:
        return False
    raise exceptions.MigrationStatusConflict(
        migration=row.uuid or 'id=%s' % migration_id,
        migration_type=row.migration_type, expected=expected_status,
        actual=row.status, to_status=values.get('status'))
