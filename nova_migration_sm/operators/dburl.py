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

"""Database URLs an operator gives: checked, shown, opened read-only.

Every failure is a
:class:`~nova_migration_sm.operators.cannotcheck.CannotCheck` whose message
is one line naming the URL (password as ``***``), what went wrong and,
where there is one, what to do. SQLite files are opened with
``mode=ro``: a missing file is an error, never a new empty database.
"""

import contextlib
import os
import sqlite3
from urllib import parse as urlparse

import sqlalchemy as sa

from nova_migration_sm import extras
from nova_migration_sm.operators.cannotcheck import CannotCheck
from nova_migration_sm.operators.cannotcheck import first_line
from nova_migration_sm.operators.cannotcheck import hide
from nova_migration_sm.operators.cannotcheck import redact

BACKENDS = ('sqlite', 'postgresql', 'mysql', 'mariadb')
"""SQLAlchemy backends the audit reads (Nova runs on the last three)."""
CONNECT_TIMEOUT = 10
"""Seconds to wait for a database server before giving up."""
SQLITE_CACHE_KB = 256
"""SQLite's page cache of a read-only connection."""


def shown(url: sa.URL) -> str:
    """The URL as it may be printed: ``user:***@host``.

    An unencoded ``@`` in the password makes SQLAlchemy (and Nova) read
    the rest of the password into the host: everything up to the last
    ``@`` is hidden (:func:`~nova_migration_sm.operators.cannotcheck.redact`).
    """
    return redact(url.render_as_string(hide_password=True))


def _hide_secrets(url: sa.URL) -> None:
    """Hide the password in every message from now on.

    Any part of it read as the host too: a driver echoes the host it
    tried.
    """
    hide(url.password)
    host = url.host or ''
    if '@' in host:
        hide(host[:host.rindex('@') + 1], '***@', min_length=1)


def _unencoded_at(url: sa.URL) -> str:
    """A hint when the host holds an ``@`` from the password."""
    if '@' not in (url.host or ''):
        return ''
    return ("; the password holds an unencoded '@', so the host was read "
            "as '%s': write '@' as %%40 in a URL" % redact(url.host))


DEFAULT_PORTS = {'postgresql': 5432, 'mysql': 3306, 'mariadb': 3306}


def identity(url: sa.URL) -> tuple:
    """What names the database itself, whatever the driver or user.

    Two URLs with one identity read the same rows.
    """
    backend = url.get_backend_name()
    if backend == 'sqlite':
        path = url.database or ''
        return (backend, os.path.realpath(path) if path else ':memory:')
    query = dict(url.query)
    return ((backend if backend != 'mariadb' else 'mysql'),
            (url.host or query.get('host') or '').lower(),
            url.port or query.get('port') or DEFAULT_PORTS.get(backend),
            url.database or '', query.get('unix_socket'))


def _not_a_url(text: str) -> CannotCheck:
    return CannotCheck(
        '%r is not a database URL; give one such as '
        'mysql+pymysql://nova:***@HOST/nova or sqlite:///PATH' % text)


def parse(text: str) -> sa.URL:
    """A SQLAlchemy URL of one of :data:`BACKENDS`, or CannotCheck."""
    text = (text or '').strip()
    if '://' not in text:
        raise _not_a_url(redact(text))
    try:
        url = sa.make_url(text)
    except (sa.exc.ArgumentError, ValueError):
        raise _not_a_url(redact(text)) from None
    _hide_secrets(url)
    backend = url.get_backend_name()
    if backend == 'postgres':
        raise CannotCheck(
            "%s: 'postgres://' is not a SQLAlchemy URL scheme; write "
            "postgresql:// (or postgresql+psycopg2://)" % shown(url))
    if backend not in BACKENDS:
        raise CannotCheck(
            '%s: unknown database type %r; use one of %s' % (
                shown(url), backend, ', '.join(BACKENDS)))
    return url


def _sqlite_read_only(url: sa.URL) -> sa.URL:
    path = url.database
    if not path or path == ':memory:':
        raise CannotCheck('%s: an in-memory SQLite database holds nothing '
                          'to read; give a file: sqlite:///PATH' % shown(url))
    if not os.path.isfile(path):
        raise CannotCheck('%s: no such SQLite file' % shown(url))
    return sa.URL.create(
        'sqlite', database='file:%s?mode=ro' % urlparse.quote(path),
        query={'uri': 'true'})


def _driver_missing(url: sa.URL, error: ImportError) -> CannotCheck:
    module = (error.name or '').split('.')[0]
    hint = extras.missing(error, 'operators')
    if hint is not None:
        return CannotCheck('%s: %s' % (shown(url), hint))
    if url.get_backend_name() in ('mysql', 'mariadb'):
        return CannotCheck(
            '%s: the URL asks for the %s driver, which is not installed; '
            'write mysql+pymysql:// and install the %r extra: %s' % (
                shown(url), module, 'mysql', extras.install_hint('mysql')))
    if url.get_backend_name() == 'postgresql':
        return CannotCheck(
            '%s: the URL asks for the %s driver, which is not installed; '
            'write postgresql+psycopg2:// and install the %r extra: %s' % (
                shown(url), module, 'postgresql',
                extras.install_hint('postgresql')))
    return CannotCheck('%s: the URL asks for the %s driver, which is not '
                       'installed' % (shown(url), module))


def engine(url: sa.URL, read_only: bool = True) -> sa.Engine:
    """An engine with no pooling; read-only, it cannot create a file."""
    connect_args = {}
    if url.get_backend_name() == 'sqlite':
        # NOTE: the audit labels its timestamp columns for a converter
        # (auditdb.SQLITE_TIMESTAMP); no other column is touched.
        connect_args['detect_types'] = sqlite3.PARSE_COLNAMES
        if read_only:
            url = _sqlite_read_only(url)
    elif 'connect_timeout' not in url.query:
        connect_args['connect_timeout'] = CONNECT_TIMEOUT
    try:
        return sa.create_engine(url, poolclass=sa.pool.NullPool,
                                connect_args=connect_args)
    except ImportError as error:
        raise _driver_missing(url, error) from None
    except sa.exc.NoSuchModuleError:
        raise CannotCheck('%s: unknown database driver %r' % (
            shown(url), url.drivername)) from None


def read_only_session(connection: sa.Connection) -> sa.Connection:
    """Make every transaction of a new connection read-only.

    PostgreSQL: ``SET TRANSACTION READ ONLY`` at each BEGIN; MySQL and
    MariaDB: for the session. SQLite is opened read-only instead, with a
    small page cache.
    """
    if connection.dialect.name == 'postgresql':
        return connection.execution_options(postgresql_readonly=True)
    if connection.dialect.name in ('mysql', 'mariadb'):
        connection.exec_driver_sql('SET SESSION TRANSACTION READ ONLY')
        connection.commit()
    if connection.dialect.name == 'sqlite':
        # NOTE: a scan reads each page once: a small page cache (the
        # default is 2 MB a connection) keeps the memory of many cells
        # read at once low.
        connection.exec_driver_sql('PRAGMA cache_size = -%d'
                                   % SQLITE_CACHE_KB)
    return connection


@contextlib.contextmanager
def connect(url: sa.URL, read_only: bool = True):
    """A connection to ``url``, or CannotCheck saying why not.

    Driver errors inside the block become CannotCheck too.
    """
    bound = engine(url, read_only)
    try:
        try:
            connection = bound.connect()
        except sa.exc.DBAPIError as error:
            raise CannotCheck('%s: cannot connect: %s%s' % (
                shown(url), first_line(error.orig),
                _unencoded_at(url))) from None
        with connection:
            try:
                if read_only:
                    connection = read_only_session(connection)
                yield connection
            except sa.exc.DBAPIError as error:
                raise CannotCheck('%s: cannot read: %s' % (
                    shown(url), first_line(error.orig))) from None
    finally:
        bound.dispose()


@contextlib.contextmanager
def reading(url: sa.URL, table: str, what: str = 'a Nova cell database'):
    """A read-only connection to ``url`` whose ``table`` exists.

    CannotCheck otherwise; ``what`` the database should be, for the
    message when the table is missing.
    """
    with connect(url) as connection:
        if not sa.inspect(connection).has_table(table):
            raise CannotCheck('%s: no table %r; is it %s?' % (
                shown(url), table, what))
        yield connection
