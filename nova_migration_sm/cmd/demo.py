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

"""Walk one migration of each type through Nova's lifecycle on SQLite.

Every move is a real ``Migration.save()`` on an embedded SQLite database,
checked by the state machine; the last step shows a refused move.
"""

import argparse

from nova_migration_sm.operators.cannotcheck import CannotCheck
from nova_migration_sm.operators.cannotcheck import first_line
from nova_migration_sm.statuses import MigrationStatus as S
from nova_migration_sm.statuses import MigrationType as T

FLOWS = (
    ('cold migration, confirmed', T.MIGRATION,
     (S.PRE_MIGRATING, S.MIGRATING, S.POST_MIGRATING, S.FINISHED,
      S.CONFIRMING, S.CONFIRMED)),
    ('resize, reverted', T.RESIZE,
     (S.PRE_MIGRATING, S.MIGRATING, S.POST_MIGRATING, S.FINISHED,
      S.REVERTING, S.REVERTED)),
    ('live migration, post-copy', T.LIVE_MIGRATION,
     (S.ACCEPTED, S.QUEUED, S.PREPARING, S.RUNNING, S.RUNNING_POST_COPY,
      S.COMPLETED)),
    ('evacuation, source comes back', T.EVACUATION,
     (S.ACCEPTED, S.PRE_MIGRATING, S.DONE, S.COMPLETED)),
)
REFUSED = S.MIGRATING
"""Where the confirmed cold migration is then asked to go."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--db-url', default='sqlite://', metavar='URL',
        help='SQLAlchemy URL of an empty database (no table at all) the '
             'demo may write to (default: in-memory SQLite).')


def _print_move(migration, old, where: str) -> None:
    print('  %-14s %-8s %-20s -> %-20s nova/%s' % (
        migration.migration_type, migration.uuid[:8], old or '(create)',
        migration.status, where.split(';')[0]))


def _open(text: str) -> str:
    """Point the DB API at an empty database; its URL, as shown."""
    from oslo_db import exception as db_exception
    import sqlalchemy as sa

    from nova_migration_sm.operators import dburl
    from nova_migration_sm.reference.db import api as db

    url = dburl.parse(text)
    with dburl.connect(url, read_only=False) as connection:
        tables = sa.inspect(connection).get_table_names()
    if tables:
        raise CannotCheck(
            '%s is not empty (tables: %s); the demo writes its own '
            'migrations table: give an empty database' % (
                dburl.shown(url), ', '.join(sorted(tables)[:5]) +
                (', ...' if len(tables) > 5 else '')))
    try:
        db.configure(url.render_as_string(hide_password=False))
        db.create_schema()
    except (sa.exc.SQLAlchemyError, db_exception.DBError) as error:
        raise CannotCheck('%s: %s' % (dburl.shown(url),
                                      first_line(error))) from None
    return dburl.shown(url)


def run(args: argparse.Namespace) -> int:
    from nova_migration_sm import conf as sm_conf
    from nova_migration_sm import exceptions
    from nova_migration_sm import machines
    from nova_migration_sm.reference import context as sm_context
    from nova_migration_sm.reference import objects

    objects.register_all()
    # NOTE: the default is warn; the demo shows what strict refuses.
    sm_conf.register_opts(sm_conf.CONF)
    sm_conf.CONF.set_override('enforcement', sm_conf.STRICT,
                              group=sm_conf.GROUP.name)
    shown = _open(args.db_url)
    ctx = sm_context.get_admin_context()
    print('Database: %s (enforcement: strict)' % shown)
    walked = []
    for title, migration_type, path in FLOWS:
        print('\n%s' % title)
        migration = objects.Migration(
            ctx, migration_type=migration_type, status=path[0],
            instance_uuid='00000000-0000-4000-8000-%012d' % len(walked),
            old_instance_type_id=1,
            new_instance_type_id=2 if migration_type == T.RESIZE else 1)
        migration.create()
        _print_move(migration, None,
                    machines.where(migration_type, machines.CREATE, path[0]))
        for status in path[1:]:
            old = migration.status
            migration.status = status
            migration.save()
            _print_move(migration, old,
                        machines.where(migration_type, old, status))
        walked.append(migration)

    migration = walked[0]
    old = migration.status
    print('\nrefused: the %s %s goes back to %r' % (
        old, migration.migration_type, REFUSED))
    migration.status = REFUSED
    try:
        migration.save()
    except exceptions.InvalidMigrationStatusTransition as error:
        print('  %s: %s' % (type(error).__name__, error))
    stored = objects.Migration.get_by_uuid(ctx, migration.uuid).status
    print('  the database still holds %r' % stored)
    return 0 if stored == old else 1
