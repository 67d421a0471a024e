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

"""Every status a ``migrations`` row ever held, recorded by the database.

A trigger on the ``migrations`` table (this library's or Nova's: the same
columns) appends one line to ``migration_status_history`` for each INSERT
and each UPDATE of a row: the status before (NULL on insert), the status
after, and two other columns of the written row, ``dest_host`` (the
writer's tag) and ``memory_processed`` (the writer's mark), so a test can
tell which write made each line and that the write's other values landed
with its status. The trigger runs inside the writing transaction: a
rolled-back write leaves no line. Nothing here imports the library.
"""

import dataclasses

import sqlalchemy as sa

TABLE = 'migration_status_history'

_METADATA = sa.MetaData()
HISTORY = sa.Table(
    TABLE, _METADATA,
    sa.Column('seq', sa.Integer, primary_key=True, autoincrement=True),
    sa.Column('migration_id', sa.Integer, nullable=False),
    sa.Column('old_status', sa.String(255)),
    sa.Column('new_status', sa.String(255)),
    sa.Column('tag', sa.String(255)),
    sa.Column('mark', sa.BigInteger),
)

_COLUMNS = 'migration_id, old_status, new_status, tag, mark'
_VALUES = 'NEW.id, %s, NEW.status, NEW.dest_host, NEW.memory_processed'

_DDL = {
    'sqlite': [
        'CREATE TRIGGER {t}_insert AFTER INSERT ON migrations BEGIN '
        'INSERT INTO {t} (%s) VALUES (%s); END' % (_COLUMNS,
                                                   _VALUES % 'NULL'),
        'CREATE TRIGGER {t}_update AFTER UPDATE ON migrations BEGIN '
        'INSERT INTO {t} (%s) VALUES (%s); END' % (_COLUMNS,
                                                   _VALUES % 'OLD.status'),
    ],
    'postgresql': [
        # NOTE: dropping the tables (oslo.db, after each test) leaves it.
        'CREATE OR REPLACE FUNCTION {t}_record() RETURNS trigger '
        'LANGUAGE plpgsql AS $$ '
        'BEGIN INSERT INTO {t} (%s) VALUES (%s); RETURN NULL; END $$' % (
            _COLUMNS, _VALUES % "CASE WHEN TG_OP = 'UPDATE' "
                                "THEN OLD.status END"),
        'CREATE TRIGGER {t} AFTER INSERT OR UPDATE ON migrations '
        'FOR EACH ROW EXECUTE FUNCTION {t}_record()',
    ],
    'mysql': [
        'CREATE TRIGGER {t}_insert AFTER INSERT ON migrations FOR EACH ROW '
        'INSERT INTO {t} (%s) VALUES (%s)' % (_COLUMNS, _VALUES % 'NULL'),
        'CREATE TRIGGER {t}_update AFTER UPDATE ON migrations FOR EACH ROW '
        'INSERT INTO {t} (%s) VALUES (%s)' % (_COLUMNS,
                                              _VALUES % 'OLD.status'),
    ],
}


@dataclasses.dataclass(frozen=True)
class Entry:
    """One recorded write of a row."""

    seq: int
    migration_id: int
    old: str | None
    """The status before (None: the row was inserted)."""
    new: str | None
    tag: str | None
    mark: int | None


def install(engine: sa.engine.Engine) -> None:
    """Create the history table and the triggers that feed it.

    Call it on a database whose ``migrations`` table exists, before the
    rows to watch are created.
    """
    backend = engine.dialect.name
    if backend not in _DDL:
        raise ValueError('No history trigger for %s' % backend)
    _METADATA.create_all(engine)
    with engine.begin() as conn:
        for statement in _DDL[backend]:
            conn.execute(sa.text(statement.format(t=TABLE)))


def read(engine: sa.engine.Engine) -> list[Entry]:
    """Every recorded write, in the order the database recorded them."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(HISTORY).order_by(HISTORY.c.seq))
        return [Entry(row.seq, row.migration_id, row.old_status,
                      row.new_status, row.tag, row.mark) for row in rows]
