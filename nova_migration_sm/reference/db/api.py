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

"""Persistence of the reference ``Migration``: Nova's DB API, plus a
conditional update.

SQLAlchemy 2 through oslo.db's enginefacade; SQLite by default, any
SQLAlchemy URL through :func:`configure`. The functions mirror
``nova/db/main/api.py``; :func:`migration_update` adds ``expected_statuses``,
the compare-and-swap that makes a checked status move atomic on every
backend: the UPDATE only matches while the row holds the status that was
checked, so a writer with a stale view gets
:class:`MigrationStatusConflict` and nothing is written.
"""

import datetime

from oslo_db import api as oslo_db_api
from oslo_db.sqlalchemy import enginefacade
from oslo_utils import timeutils
import sqlalchemy as sa

from nova_migration_sm import cas
from nova_migration_sm import exceptions
from nova_migration_sm import machines
from nova_migration_sm.reference.db import models
from nova_migration_sm.statuses import MigrationStatus
from nova_migration_sm.statuses import MigrationType

DEFAULT_CONNECTION = 'sqlite://'

_main_context_manager = None


def configure(connection: str = DEFAULT_CONNECTION, **kwargs) -> None:
    """Point the DB API at a database (an SQLAlchemy URL).

    Replaces the previous configuration; extra keyword arguments go to
    ``enginefacade`` (``sqlite_synchronous``, ``max_pool_size``...).
    """
    global _main_context_manager
    manager = enginefacade.transaction_context()
    manager.configure(connection=connection, **kwargs)
    if _main_context_manager is not None:
        dispose(_main_context_manager)
    _main_context_manager = manager


def new_context_manager(connection: str, **kwargs):
    """A context manager for another database (a cell in Nova's terms).

    Set it as ``context.db_connection`` to run the DB API against it.
    """
    manager = enginefacade.transaction_context()
    manager.configure(connection=connection, **kwargs)
    return manager


def dispose(manager) -> None:
    """Close every pooled connection of a context manager."""
    if manager._factory._started:
        manager.writer.get_engine().dispose()


def _manager(context):
    if getattr(context, 'db_connection', None) is not None:
        return context.db_connection
    if _main_context_manager is None:
        configure()
    return _main_context_manager


def get_engine(context=None):
    """The writer engine the DB API uses for ``context``."""
    return _manager(context).writer.get_engine()


def create_schema(context=None) -> None:
    """Create the ``migrations`` table (and its indexes) if missing."""
    models.BASE.metadata.create_all(get_engine(context))


def _writer(context):
    return _manager(context).writer.using(context)


def _reader(context):
    return _manager(context).reader.using(context)


def _query(context, session, read_deleted=None):
    read_deleted = read_deleted or getattr(context, 'read_deleted', 'no')
    query = session.query(models.Migration)
    if read_deleted == 'no':
        query = query.filter(models.Migration.deleted == 0)
    elif read_deleted == 'only':
        query = query.filter(models.Migration.deleted != 0)
    return query


def migration_create(context, values: dict) -> models.Migration:
    """Create a migration record."""
    with _writer(context) as session:
        migration = models.Migration()
        migration.update(values)
        migration.save(session)
        return migration


@cas.conflict_when_retries_run_out
@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
def migration_update(context, migration_id: int, values: dict,
                     expected_statuses=None) -> models.Migration:
    """Update a migration, soft-deleted or not (as Nova does).

    With ``expected_statuses``, only while the row holds one of them: one
    conditional ``UPDATE`` (:func:`cas.update_if_status`), else
    :class:`MigrationStatusConflict` and nothing is written.

    A deadlock (on Galera also a commit that failed certification: another
    node wrote the row first) runs the whole transaction again, the
    conditional ``UPDATE`` included, as Nova's ``migration_update`` does
    (oslo.db's ``wrap_db_retry``, 5 retries). A conditional write that
    deadlocks on every retry raises :class:`MigrationStatusConflict`.
    """
    with _writer(context) as session:
        if expected_statuses is not None:
            if not cas.update_if_status(session, models.Migration.__table__,
                                        migration_id, values,
                                        expected_statuses):
                raise exceptions.MigrationNotFound(migration=migration_id)
            session.expire_all()
        migration = _get(context, session, migration_id)
        if expected_statuses is None:
            migration.update(values)
            session.flush()
        return migration


def _get(context, session, migration_id):
    result = _query(context, session, read_deleted='yes').filter_by(
        id=migration_id).first()
    if not result:
        raise exceptions.MigrationNotFound(migration=migration_id)
    return result


def migration_get(context, migration_id: int) -> models.Migration:
    """Find a migration by id, soft-deleted too."""
    with _reader(context) as session:
        return _get(context, session, migration_id)


def migration_get_by_uuid(context, migration_uuid: str) -> models.Migration:
    """Find a migration by uuid, soft-deleted too."""
    with _reader(context) as session:
        result = _query(context, session, read_deleted='yes').filter_by(
            uuid=migration_uuid).first()
        if not result:
            raise exceptions.MigrationNotFound(migration=migration_uuid)
        return result


def migration_get_by_id_and_instance(context, migration_id, instance_uuid):
    """Find a migration by id and instance."""
    with _reader(context) as session:
        result = _query(context, session).filter_by(
            id=migration_id, instance_uuid=instance_uuid).first()
        if not result:
            raise exceptions.MigrationNotFound(migration=migration_id)
        return result


def migration_get_by_instance_and_status(context, instance_uuid, status):
    """Find a migration of an instance by status, soft-deleted too."""
    with _reader(context) as session:
        result = _query(context, session, read_deleted='yes').filter_by(
            instance_uuid=instance_uuid, status=status).first()
        if not result:
            raise exceptions.MigrationNotFound(
                migration='of instance %s in status %r' % (instance_uuid,
                                                           status))
        return result


def _in_progress_clause(also=(), of_type=machines.in_progress_statuses):
    """Rows whose status is in ``of_type(type)`` for their own type.

    Derived from the machines, per type (Nova spells one list for all
    types); a NULL type is a cold migration or resize, as Nova infers.
    """
    clauses = []
    for migration_type in MigrationType.ALL:
        wanted = set(also)
        for cross_cell in (False, True):
            wanted.update(of_type(migration_type, cross_cell))
        type_clause = models.Migration.migration_type == migration_type
        if migration_type in (MigrationType.MIGRATION, MigrationType.RESIZE):
            type_clause = sa.or_(type_clause,
                                 models.Migration.migration_type.is_(None))
        clauses.append(sa.and_(type_clause, models.Migration.status.in_(
            [s for s in MigrationStatus.ALL if s in wanted])))
    return sa.or_(*clauses)


def _host_node_clause(host, node):
    m = models.Migration
    return sa.or_(sa.and_(m.source_compute == host, m.source_node == node),
                  sa.and_(m.dest_compute == host, m.dest_node == node))


def migration_get_in_progress_by_host_and_node(context, host, node):
    """Migrations from or to a host and node that still hold resources.

    Nova's meaning: in progress, minus an evacuation that landed
    (``done``, :func:`machines.claiming_statuses`).
    """
    with _reader(context) as session:
        return _query(context, session).filter(
            _host_node_clause(host, node),
            _in_progress_clause(of_type=machines.claiming_statuses)).all()


def migration_get_in_progress_and_error_by_host_and_node(context, host,
                                                         node):
    """Like the above, plus migrations in ``error``."""
    with _reader(context) as session:
        return _query(context, session).filter(
            _host_node_clause(host, node),
            _in_progress_clause(also=(MigrationStatus.ERROR,),
                                of_type=machines.claiming_statuses)).all()


def migration_get_in_progress_by_instance(context, instance_uuid,
                                          migration_type=None):
    """In-progress migrations of an instance, optionally of one type."""
    with _reader(context) as session:
        query = _query(context, session).filter(
            models.Migration.instance_uuid == instance_uuid,
            _in_progress_clause())
        if migration_type:
            query = query.filter(
                models.Migration.migration_type == migration_type)
        return query.all()


def migration_get_unconfirmed_by_dest_compute(context, confirm_window,
                                              dest_compute):
    """``finished`` migrations to a host older than the confirm window."""
    cutoff = timeutils.utcnow() - datetime.timedelta(seconds=confirm_window)
    with _reader(context) as session:
        return _query(context, session, read_deleted='yes').filter(
            models.Migration.updated_at <= cutoff,
            models.Migration.status == MigrationStatus.FINISHED,
            models.Migration.dest_compute == dest_compute).all()


def migration_get_all_by_filters(context, filters: dict, sort_keys=None,
                                 sort_dirs=None, limit=None, marker=None):
    """Migrations matching column filters (a list value means IN).

    Sorted by ``created_at, id`` descending unless told otherwise;
    ``marker`` (a uuid) pages after that row.
    """
    m = models.Migration
    sort_keys = sort_keys or ['created_at', 'id']
    sort_dirs = sort_dirs or ['desc'] * len(sort_keys)
    with _reader(context) as session:
        query = _query(context, session)
        for name, value in filters.items():
            column = getattr(m, name)
            if isinstance(value, (list, tuple, set, frozenset)):
                query = query.filter(column.in_(list(value)))
            else:
                query = query.filter(column == value)
        if marker is not None:
            marker_row = _query(context, session, 'yes').filter_by(
                uuid=marker).first()
            if marker_row is None:
                raise exceptions.MigrationNotFound(migration=marker)
            query = query.filter(m.id < marker_row.id)
        for key, direction in zip(sort_keys, sort_dirs):
            column = getattr(m, key)
            query = query.order_by(column.desc() if direction == 'desc'
                                   else column.asc())
        if limit is not None:
            query = query.limit(limit)
        return query.all()


def migration_soft_delete(context, migration_id: int) -> None:
    """Soft-delete a migration (Nova does when the instance is deleted)."""
    with _writer(context) as session:
        row = _get(context, session, migration_id)
        row.soft_delete(session)


def migration_destroy(context, migration_id: int) -> None:
    """Hard-delete a migration (Nova's cross-cell cleanup does)."""
    with _writer(context) as session:
        session.execute(sa.delete(models.Migration.__table__).where(
            models.Migration.__table__.c.id == migration_id))
