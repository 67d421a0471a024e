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

"""Nova 34.0.0's ``migrations`` table (``nova/db/main/models.py:889-944``).

Same columns, types, soft delete and indexes. The foreign key from
``instance_uuid`` to ``instances.uuid`` is left out: this library has no
``instances`` table.
"""

from oslo_db.sqlalchemy import models
import sqlalchemy as sa
from sqlalchemy import orm

from nova_migration_sm.statuses import MigrationType

BASE = orm.declarative_base()


class NovaBase(models.TimestampMixin, models.ModelBase):
    """Nova's model base: ``created_at``/``updated_at`` and dict access."""


class Migration(BASE, NovaBase, models.SoftDeleteMixin):
    """A host-to-host move of an instance."""

    __tablename__ = 'migrations'
    __table_args__ = (
        sa.Index('migrations_instance_uuid_and_status_idx', 'deleted',
                 'instance_uuid', 'status'),
        # NOTE: the initial Nova migration uses a MySQL prefix of 100 on
        # the four host/node columns, or the key is too long for InnoDB.
        sa.Index('migrations_by_host_nodes_and_status_idx', 'deleted',
                 'source_compute', 'dest_compute', 'source_node',
                 'dest_node', 'status',
                 mysql_length={'source_compute': 100, 'dest_compute': 100,
                               'source_node': 100, 'dest_node': 100}),
        sa.Index('migrations_by_src_host_nodes_and_status_idx', 'deleted',
                 'source_compute', 'source_node', 'status'),
        sa.Index('migrations_by_dest_host_nodes_and_status_idx', 'deleted',
                 'dest_compute', 'dest_node', 'status'),
        sa.Index('migrations_uuid', 'uuid', unique=True),
        sa.Index('migrations_updated_at_idx', 'updated_at'),
        sa.Index('migrations_dest_compute_id_deleted_idx',
                 'dest_compute_id', 'deleted'),
    )
    id = sa.Column(sa.Integer, primary_key=True, nullable=False)
    source_compute = sa.Column(sa.String(255))
    dest_compute = sa.Column(sa.String(255))
    source_node = sa.Column(sa.String(255))
    dest_node = sa.Column(sa.String(255))
    dest_compute_id = sa.Column(sa.BigInteger())
    dest_host = sa.Column(sa.String(255))
    old_instance_type_id = sa.Column(sa.Integer())
    new_instance_type_id = sa.Column(sa.Integer())
    instance_uuid = sa.Column(sa.String(36))
    uuid = sa.Column(sa.String(36), nullable=True)
    status = sa.Column(sa.String(255))
    migration_type = sa.Column(sa.Enum(*MigrationType.ALL,
                                       name='migration_type'),
                               nullable=True)
    hidden = sa.Column(sa.Boolean, default=False)
    memory_total = sa.Column(sa.BigInteger, nullable=True)
    memory_processed = sa.Column(sa.BigInteger, nullable=True)
    memory_remaining = sa.Column(sa.BigInteger, nullable=True)
    disk_total = sa.Column(sa.BigInteger, nullable=True)
    disk_processed = sa.Column(sa.BigInteger, nullable=True)
    disk_remaining = sa.Column(sa.BigInteger, nullable=True)
    cross_cell_move = sa.Column(sa.Boolean, default=False)
    user_id = sa.Column(sa.String(255), nullable=True)
    project_id = sa.Column(sa.String(255), nullable=True)
