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

"""Run the conductor: in a thread of this process, or as its own process.

In-process::

    conductor = Conductor(transport_url).start()   # None: no transport
    NovaObject.indirection_api = conductor.api()
    ...
    conductor.stop()

Out of process (stop it with SIGTERM; it prints ``READY <topic>``)::

    python -m tests.functional.rig.conductor --transport-url URL \
        --db-url URL [--cell NAME=URL]... [--topic TOPIC]
"""

import argparse
import sys
import warnings

from nova_migration_sm import conf as sm_conf
from nova_migration_sm.reference import context as sm_context
from nova_migration_sm.reference.db import api as db
from nova_migration_sm.reference import objects
from nova_migration_sm.reference import rpc
from nova_migration_sm.reference.rpc import api as rpc_api
from nova_migration_sm.reference.rpc import manager as rpc_manager
from nova_migration_sm.reference.rpc import serializer as rpc_serializer
from nova_migration_sm.reference.rpc import transport as rpc_transport
from tests.functional import rig
from tests.functional.rig import local


class Conductor:
    """A conductor RPC server on ``topic`` (in-process if no URL)."""

    def __init__(self, transport_url: str | None, topic: str = rpc.TOPIC,
                 server: str = 'conductor') -> None:
        self.transport_url = transport_url
        self.topic = topic
        self.server_name = server
        self.transport = None
        self._server = None

    def start(self) -> 'Conductor':
        if self.transport_url is not None:
            self.transport = rpc_transport.get_transport(self.transport_url)
            self._server = rpc_transport.get_server(
                self.transport, [rpc_manager.ConductorManager()],
                rpc_manager.ConductorSerializer(), topic=self.topic,
                server=self.server_name)
            self._server.start()
        return self

    def api(self, serializer=None) -> rpc_api.ConductorAPI:
        """An indirection API that reaches this conductor."""
        if self.transport is None:
            return local.get_conductor_api(serializer)
        return rpc_api.get_conductor_api(self.transport, topic=self.topic,
                                         serializer=serializer)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server.wait()
            self._server = None
        if self.transport is not None:
            self.transport.cleanup()
            self.transport = None


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='python -m tests.functional.rig.conductor',
        description='Serve Migration objects over oslo.messaging.')
    parser.add_argument('--transport-url',
                        default=rig.transport_url_from_env(),
                        required=rig.transport_url_from_env() is None,
                        help='oslo.messaging URL (default: $%s).'
                        % rig.TRANSPORT_URL_ENV)
    parser.add_argument('--db-url', default=db.DEFAULT_CONNECTION,
                        help='SQLAlchemy URL of the main database.')
    parser.add_argument('--cell', action='append', default=[],
                        metavar='NAME=URL',
                        help='Another (cell) database callers may target.')
    parser.add_argument('--topic', default=rpc.TOPIC)
    parser.add_argument('--server', default='conductor')
    parser.add_argument('--create-schema', action='store_true',
                        help='Create the tables if missing.')
    parser.add_argument('--enforcement', default=sm_conf.STRICT, choices=(
        sm_conf.STRICT, sm_conf.WARN, sm_conf.OFF),
        help='Default: strict, what the functional tests expect.')
    parser.add_argument('--no-detect-stale-writes', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    warnings.filterwarnings('ignore', category=DeprecationWarning)
    args = _parse_args(argv)
    objects.register_all()
    sm_conf.register_opts(sm_conf.CONF)
    group = sm_conf.GROUP.name
    if args.enforcement:
        sm_conf.CONF.set_override('enforcement', args.enforcement, group)
    if args.no_detect_stale_writes:
        sm_conf.CONF.set_override('detect_stale_writes', False, group)
    db.configure(args.db_url)
    if args.create_schema:
        db.create_schema()
    for cell in args.cell:
        name, _, url = cell.partition('=')
        rpc_serializer.register_cell(name, url)
        if args.create_schema:
            db.create_schema(rpc_serializer.target_cell(
                sm_context.get_admin_context(), name))
    conductor = Conductor(args.transport_url, topic=args.topic,
                          server=args.server).start()
    rig.serve_until_signalled(args.topic, conductor.stop)
    return 0


if __name__ == '__main__':
    sys.exit(main())
