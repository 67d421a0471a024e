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

Two ways, whichever started the broker:

* pifpaf (``pifpaf run rabbitmq``, which exports ``<PREFIX>_RABBITMQ_PORT``,
  ``_NODENAME`` and ``_HOME``): ``rabbitmqctl stop_app`` then
  ``start_app``; the broker closes every connection and its listener, the
  Erlang VM (and so its PID) stays.
* ``tools/ci-services.sh restart rabbitmq`` (as root): a new broker
  process, whose PID ``ci-services.sh status`` reports.

While it restarts, a thread knocks on the AMQP port: :attr:`Restart.
went_down` says whether the port refused a connection in between, which
neither way can fake.
"""

import dataclasses
import os
import re
import socket
import subprocess
import threading
import time

from sqlalchemy.engine import url as sa_url

RABBITMQCTL = '/usr/lib/rabbitmq/bin/rabbitmqctl'
"""The real script, as pifpaf runs it (Debian's ``/usr/sbin`` wrapper
switches to the rabbitmq user and its home when run as root)."""
SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'tools', 'ci-services.sh')


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


def _ci_services_pid(port: int) -> str | None:
    """The broker PID ``ci-services.sh status`` reports on ``port``."""
    if os.geteuid() != 0 or not os.path.exists(SCRIPT):
        return None
    status = subprocess.run(['bash', SCRIPT, 'status', 'rabbitmq'],
                            capture_output=True, text=True, timeout=60)
    match = re.search(r'up \(pid (\d+), [\d.]+:(\d+)\)', status.stdout)
    if match and int(match.group(2)) == port:
        return match.group(1)
    return None


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


def _find(port: int) -> tuple[dict | None, str | None]:
    pifpaf = _pifpaf(port)
    pid = None if pifpaf else _ci_services_pid(port)
    if pifpaf is None and pid is None:
        raise CannotRestart('no pifpaf environment and no ci-services.sh '
                            'broker on port %d' % port)
    return pifpaf, pid


def how(transport_url: str) -> str:
    """How :func:`restart` would restart it; :class:`CannotRestart`."""
    pifpaf, _ = _find(_port(transport_url))
    return 'pifpaf' if pifpaf else 'ci-services.sh'


def restart(transport_url: str) -> Restart:
    """Restart the broker; raise :class:`CannotRestart` if no way is known.

    A failed restart command raises ``subprocess.CalledProcessError``.
    """
    port = _port(transport_url)
    pifpaf, pid = _find(port)
    knocker = _Knocker(port)
    knocker.start()
    try:
        if pifpaf:
            before = _ctl(pifpaf, 'eval', 'os:getpid().').strip()
            _ctl(pifpaf, 'stop_app')
            time.sleep(0.5)
            _ctl(pifpaf, 'start_app')
            _ctl(pifpaf, 'await_startup')
            after = _ctl(pifpaf, 'eval', 'os:getpid().').strip()
            mechanism = 'pifpaf: rabbitmqctl stop_app, start_app'
        else:
            before = pid
            subprocess.run(['bash', SCRIPT, 'restart', 'rabbitmq'],
                           check=True, capture_output=True, timeout=300)
            after = _ci_services_pid(port)
            mechanism = 'ci-services.sh restart rabbitmq'
    finally:
        knocker.stopping.set()
        knocker.join()
    return Restart(mechanism, before, after, knocker.refused)
