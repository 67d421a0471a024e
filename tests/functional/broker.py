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

"""Restart the RabbitMQ broker of ``RPC_TRANSPORT_URL``, and prove it.

The broker is pifpaf's (``pifpaf run rabbitmq``, as ``tools/test-servers.sh``
runs it, which exports ``<PREFIX>_RABBITMQ_PORT``, ``_NODENAME`` and
``_HOME``): ``rabbitmqctl stop_app`` then ``start_app``, as pifpaf's driver
stops and starts a node; the broker closes every connection and its
listener, the Erlang VM (and so its PID) stays. pifpaf has no command
for it, hence rabbitmqctl.

While it restarts, a thread knocks on the AMQP port: :attr:`Restart.
went_down` says whether the port refused a connection in between, which
the restart cannot fake.
"""

import dataclasses
import os
import socket
import subprocess
import threading
import time

from sqlalchemy.engine import url as sa_url

RABBITMQCTL = '/usr/lib/rabbitmq/bin/rabbitmqctl'
"""The real script, as pifpaf runs it (Debian's ``/usr/sbin`` wrapper
switches to the rabbitmq user and its home when run as root)."""


class CannotRestart(Exception):
    """Nothing here knows how to restart the broker of that URL."""


@dataclasses.dataclass(frozen=True)
class Restart:
    """What a restart did."""

    mechanism: str
    before: str
    """The broker process before: its PID, where the mechanism shows it."""
    after: str
    went_down: bool
    """The AMQP port refused a connection during the restart."""


def _port(transport_url: str) -> int:
    parsed = sa_url.make_url(transport_url.replace('rabbit://', 'mysql://',
                                                   1))
    return parsed.port or 5672


def _pifpaf(port: int) -> dict | None:
    """The pifpaf environment of the broker on ``port``, if any."""
    for key, value in os.environ.items():
        if key.endswith('_RABBITMQ_PORT') and value == str(port):
            prefix = key[:-len('PORT')]
            if prefix + 'NODENAME' in os.environ:
                return {'node': os.environ[prefix + 'NODENAME'],
                        'home': os.environ.get(prefix + 'HOME')}
    return None


def _ctl(broker: dict, *args: str) -> str:
    env = dict(os.environ)
    if broker['home']:
        env['HOME'] = broker['home']
    return subprocess.run(
        [RABBITMQCTL, '-q', '-n', broker['node'], *args], env=env,
        check=True, capture_output=True, text=True, timeout=120).stdout


class _Knocker(threading.Thread):
    """Connects to the port every 50 ms; notes a refusal."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.stopping = threading.Event()
        self.refused = False

    def run(self) -> None:
        while not self.stopping.wait(0.05):
            try:
                socket.create_connection(('127.0.0.1', self.port),
                                         timeout=1).close()
            except OSError:
                self.refused = True


def _find(port: int) -> dict:
    pifpaf = _pifpaf(port)
    if pifpaf is None:
        raise CannotRestart('no broker started by pifpaf on port %d (no '
                            '<PREFIX>_RABBITMQ_PORT=%d)' % (port, port))
    return pifpaf


def how(transport_url: str) -> str:
    """How :func:`restart` would restart it; :class:`CannotRestart`."""
    _find(_port(transport_url))
    return 'pifpaf'


def restart(transport_url: str) -> Restart:
    """Restart the broker; raise :class:`CannotRestart` if no way is known.

    A failed restart command raises ``subprocess.CalledProcessError``.
    """
    port = _port(transport_url)
    pifpaf = _find(port)
    knocker = _Knocker(port)
    knocker.start()
    try:
        before = _ctl(pifpaf, 'eval', 'os:getpid().').strip()
        _ctl(pifpaf, 'stop_app')
        time.sleep(0.5)
        _ctl(pifpaf, 'start_app')
        _ctl(pifpaf, 'await_startup')
        after = _ctl(pifpaf, 'eval', 'os:getpid().').strip()
        mechanism = 'pifpaf: rabbitmqctl stop_app, start_app'
    finally:
        knocker.stopping.set()
        knocker.join()
    return Restart(mechanism, before, after, knocker.refused)
