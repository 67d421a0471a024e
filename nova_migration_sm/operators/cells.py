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

"""Every cell database of a Nova deployment, from Nova's own config.

``[api_database] connection`` names the API database; its
``cell_mappings`` table lists the cells (cell0 included), each with its
``database_connection``, which may be a template filled in from
``[database] connection`` exactly as Nova 34.0.0 does
(``nova/objects/cell_mapping.py:94-141``, ``CellMapping.format_db_url``).
Nothing is written: the API database is read like a cell's.
"""

import glob
import os
from urllib import parse as urlparse

from oslo_config import cfg
from oslo_utils import netutils
import sqlalchemy as sa

from nova_migration_sm.operators import auditdb
from nova_migration_sm.operators import dburl

CELL0_UUID = '00000000-0000-0000-0000-000000000000'
"""Nova's ``CellMapping.CELL0_UUID``."""

OPTS = (
    ('api_database', cfg.StrOpt(
        'connection', secret=True,
        help="SQLAlchemy URL of Nova's API database, whose cell_mappings "
             "list the cells.")),
    ('database', cfg.StrOpt(
        'connection', secret=True,
        help="SQLAlchemy URL of the cell database; fills in the cells' "
             "templated database_connection.")),
)
"""The two options of ``nova.conf`` read here."""


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register :data:`OPTS` unless Nova (oslo.db) already did."""
    for group, opt in OPTS:
        try:
            conf.register_opt(opt, group=group)
        except cfg.DuplicateOptError:
            pass


def check_config_args(args: list[str]) -> None:
    """CannotCheck for a file given as a directory, or the other way.

    oslo.config reads a file given with ``--config-dir`` as a directory
    of no file, silently, and fails with a traceback on a directory given
    with ``--config-file``.
    """
    for option, path in zip(args[::2], args[1::2]):
        if option == '--config-file' and os.path.isdir(path):
            raise dburl.CannotCheck(
                '--config-file %s is a directory; give a directory of '
                '*.conf files with --config-dir' % path)
        if option == '--config-dir' and os.path.exists(path):
            if not os.path.isdir(path):
                raise dburl.CannotCheck(
                    '--config-dir %s is a file, not a directory; give a '
                    'file with --config-file' % path)
            if not glob.glob(os.path.join(glob.escape(path), '*.conf')):
                raise dburl.CannotCheck(
                    '--config-dir %s holds no *.conf file' % path)


def load_config(args: list[str]) -> cfg.ConfigOpts:
    """Nova's config from ``--config-file``/``--config-dir`` arguments.

    oslo.config parses them, so files and directories are read in the
    order given, later values winning, as Nova reads them.
    """
    check_config_args(args)
    conf = cfg.ConfigOpts()
    register_opts(conf)
    try:
        conf(args=list(args), project=None, default_config_files=[],
             default_config_dirs=[])
    except (cfg.Error, OSError) as error:
        raise dburl.CannotCheck(dburl.first_line(error)) from None
    return conf


def _option(conf: cfg.ConfigOpts, group: str) -> str | None:
    try:
        return getattr(conf, group).connection or None
    except cfg.Error as error:
        raise dburl.CannotCheck('[%s] connection: %s' % (
            group, dburl.first_line(error))) from None


def _parse_netloc(netloc: str) -> dict:
    """Nova's ``_parse_netloc`` (``nova/objects/cell_mapping.py:36-61``)."""
    these = {'username': None, 'password': None, 'hostname': None,
             'port': None}
    if '@' in netloc:
        userpass, hostport = netloc.split('@', 1)
    else:
        hostport = netloc
        userpass = ''
    these['hostname'], these['port'] = netutils.parse_host_port(hostport)
    if ':' in userpass:
        these['username'], these['password'] = userpass.split(':', 1)
    else:
        these['username'] = userpass
    return these


def _format_url(url: str, default: str) -> str:
    """Nova's ``CellMapping._format_url`` (``cell_mapping.py:94-126``)."""
    default_url = urlparse.urlparse(default)
    subs = {
        'username': default_url.username,
        'password': default_url.password,
        'hostname': default_url.hostname,
        'port': default_url.port,
        'scheme': default_url.scheme,
        'query': default_url.query,
        'fragment': default_url.fragment,
        'path': default_url.path.lstrip('/'),
    }
    if ',' in default_url.netloc:
        for index, netloc in enumerate(default_url.netloc.split(','), 1):
            for key, value in _parse_netloc(netloc).items():
                subs['%s%i' % (key, index)] = value
    return url.format(**subs)


def format_db_url(url: str, default: str | None) -> str:
    """A cell's ``database_connection`` as Nova connects to it.

    ``default`` is ``[database] connection``. Where Nova logs an error
    and goes on with the template as it is (no ``[database] connection``,
    or a template that does not fill in), this raises CannotCheck.
    """
    if default is None:
        if '{' in url:
            raise dburl.CannotCheck(
                'database_connection %r is a template, but [database] '
                'connection is not set' % url)
        return url
    try:
        return _format_url(url, default)
    except (KeyError, IndexError, ValueError, AttributeError) as error:
        raise dburl.CannotCheck(
            'database_connection %r does not fill in from [database] '
            'connection: %s: %s' % (url, type(error).__name__,
                                    dburl.first_line(error))) from None


def cell_targets(api_url: sa.URL, default: str | None
                 ) -> list[auditdb.Target]:
    """One target per row of the API database's ``cell_mappings``."""
    mappings = sa.table('cell_mappings', sa.column('id'),
                        sa.column('uuid'), sa.column('name'),
                        sa.column('database_connection'))
    with dburl.reading(api_url, 'cell_mappings',
                       "Nova's API database") as connection:
        rows = connection.execute(
            sa.select(mappings.c.uuid, mappings.c.name,
                      mappings.c.database_connection)
            .order_by(mappings.c.id)).all()
    if not rows:
        raise dburl.CannotCheck('%s: cell_mappings lists no cell; nothing '
                                'to check' % dburl.shown(api_url))
    targets = []
    for uuid, name, connection_url in rows:
        name = name or uuid
        try:
            url = dburl.parse(format_db_url(connection_url or '', default))
        except dburl.CannotCheck as error:
            targets.append(auditdb.Target(name=name, url=None, uuid=uuid,
                                          error=str(error)))
            continue
        targets.append(auditdb.Target(name=name, url=url, uuid=uuid))
    return targets


def targets_from_config(conf: cfg.ConfigOpts,
                        sources: str = 'the configuration'
                        ) -> list[auditdb.Target]:
    """Every cell of the deployment ``conf`` describes.

    CannotCheck when nothing can be checked: no ``[api_database]
    connection`` (``sources`` says where it was looked for), an API
    database that cannot be read or lists no cell.
    """
    api = _option(conf, 'api_database')
    if api is None:
        raise dburl.CannotCheck(
            'nothing was checked: [api_database] connection is not set in %s'
            % sources)
    try:
        api_url = dburl.parse(api)
    except dburl.CannotCheck as error:
        raise dburl.CannotCheck('[api_database] connection: %s'
                                % error) from None
    return cell_targets(api_url, _option(conf, 'database'))
