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
    engine = sa.create_engine(url)
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            for row_id, (uuid, name, database) in enumerate(cells, 1):
                connection.execute(mappings.insert().values(
                    id=row_id, uuid=uuid, name=name,
                    transport_url='rabbit://', database_connection=database,
                    disabled=False))
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
