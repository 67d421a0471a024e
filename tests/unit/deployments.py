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

"""Nova deployments to audit: an API database, its cells, a nova.conf."""

import sqlalchemy as sa

CELL0_UUID = '00000000-0000-0000-0000-000000000000'
CELL1_UUID = '11111111-1111-4111-8111-111111111111'
CELL2_UUID = '22222222-2222-4222-8222-222222222222'


def api_database(url: str, cells) -> None:
    """Nova's ``cell_mappings`` (the columns Nova 34.0.0 has) in ``url``.

    ``cells``: ``(uuid, name, database_connection)`` in id order.
    """
    metadata = sa.MetaData()
    mappings = sa.Table(
        'cell_mappings', metadata,
        sa.Column('id', sa.Integer, primary_key=True),
        sa.Column('uuid', sa.String(36), nullable=False),
        sa.Column('name', sa.String(255)),
        sa.Column('transport_url', sa.Text),
        sa.Column('database_connection', sa.Text),
        sa.Column('disabled', sa.Boolean, default=False))
    _create(url, metadata, mappings, [
        dict(id=row_id, uuid=uuid, name=name, transport_url='rabbit://',
             database_connection=database, disabled=False)
        for row_id, (uuid, name, database) in enumerate(cells, 1)])


def _create(url: str, metadata: sa.MetaData, table: sa.Table,
            rows: list[dict]) -> None:
    """``metadata``'s tables in ``url``, and ``rows`` in ``table``."""
    engine = sa.create_engine(url)
    try:
        metadata.create_all(engine)
        if rows:
            with engine.begin() as connection:
                connection.execute(table.insert(), rows)
    finally:
        engine.dispose()


def cell_database(url: str, seeder) -> None:
    """A cell database holding a ``test_audit.Seeder``'s rows."""
    engine = sa.create_engine(url)
    try:
        seeder.insert(engine)
    finally:
        engine.dispose()


def nova_conf(path: str, api: str | None = None,
              database: str | None = None) -> str:
    """A nova.conf with these connections (when given); its path."""
    with open(path, 'w') as out:
        out.write('[DEFAULT]\ndebug = false\n')
        for group, url in (('api_database', api), ('database', database)):
            if url is not None:
                # NOTE: oslo.config substitutes $NAME; a URL's $ is $$.
                out.write('[%s]\nconnection = %s\n' % (
                    group, url.replace('$', '$$')))
    return path


def services(url: str, rows) -> None:
    """Nova's ``services`` (the columns the upgrade check reads) in ``url``.

    ``rows``: ``(host, binary, deleted)``; Nova soft-deletes a row by
    setting ``deleted`` to its id.
    """
    metadata = sa.MetaData()
    table = sa.Table(
        'services', metadata,
        sa.Column('id', sa.Integer, primary_key=True),
        sa.Column('host', sa.String(255)),
        sa.Column('binary', sa.String(255)),
        sa.Column('topic', sa.String(255)),
        sa.Column('deleted', sa.Integer, default=0))
    _create(url, metadata, table, [
        dict(id=row_id, host=host, binary=binary, topic=None,
             deleted=row_id if deleted else 0)
        for row_id, (host, binary, deleted) in enumerate(rows, 1)])
