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

"""Real Nova services for the tests: a conductor and compute-side processes.

:class:`Conductor` is Nova 34.0.0's own ``nova-conductor`` console script
(``nova.cmd.conductor.main``) from the venv these tests run in, with the
integration patched in. :class:`ComputeSide` runs :mod:`compute_side` with
the Python of a Nova venv: this one (34.0.0, the library installed) or a
plain Nova 33.0.2 (``NOVA_MIGRATION_SM_NOVA33_PYTHON``). All of them read a
``nova.conf`` of :func:`write_conf`; each conductor gets an exchange of
its own (``[DEFAULT] control_exchange``), so that no process of another
test answers its calls.
"""

import http.server
import json
import os
import select
import signal
import subprocess
import sys
import threading
import uuid

COMPUTE_SIDE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            'compute_side.py')
NOVA33_PYTHON_ENV = 'NOVA_MIGRATION_SM_NOVA33_PYTHON'
TRANSPORT_URL_ENV = 'RPC_TRANSPORT_URL'
READY_SECONDS = 180
"""How long a compute-side process may take to start and find the
conductor (Nova's wait_until_ready tries for up to 100 s)."""
CALL_SECONDS = 120


class _VersionDocument(http.server.BaseHTTPRequestHandler):
    """Placement's root: the version document, and nothing else."""

    BODY = json.dumps({'versions': [{
        'id': 'v1.0', 'min_version': '1.0', 'max_version': '1.39',
        'status': 'CURRENT', 'links': [{'rel': 'self', 'href': ''}]}]})

    def do_GET(self) -> None:
        body = self.BODY.encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class PlacementStub:
    """Placement's version document on 127.0.0.1, in a thread.

    The conductor's ``ComputeTaskManager.__init__`` builds its placement
    client at start-up (``nova/conductor/manager.py:284``), and
    openstacksdk discovers the API version there; no test schedules.
    """

    def __enter__(self) -> str:
        self.server = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), _VersionDocument)
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()
        return 'http://127.0.0.1:%d/placement' % self.server.server_port

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_conf(path: str, transport_url: str, exchange: str, host: str,
               log_file: str, enforcement: str, db_url: str | None = None,
               placement_url: str | None = None) -> str:
    """A ``nova.conf`` for one service; the conductor's has a database."""
    lines = ['[DEFAULT]',
             'transport_url = %s' % transport_url,
             'control_exchange = %s' % exchange,
             'host = %s' % host,
             'log_file = %s' % log_file,
             '[conductor]',
             'workers = 1',
             '[migration_state_machine]',
             'enforcement = %s' % enforcement]
    if db_url is not None:
        lines += ['[database]', 'connection = %s' % db_url]
    if placement_url is not None:
        lines += ['[placement]', 'auth_type = none',
                  'endpoint_override = %s' % placement_url]
    with open(path, 'w') as conf:
        conf.write('\n'.join(lines) + '\n')
    return path


class Services:
    """One conductor in ``enforcement`` and the compute-side processes."""

    def __init__(self, directory: str, transport_url: str, db_url: str,
                 placement_url: str, enforcement: str) -> None:
        self.directory = directory
        self.transport_url = transport_url
        self.db_url = db_url
        self.placement_url = placement_url
        self.enforcement = enforcement
        self.exchange = 'nmsm_%s' % uuid.uuid4().hex[:10]
        self.conductor_log = os.path.join(directory, 'conductor.log')
        self._processes: list[subprocess.Popen] = []

    def _conf(self, name: str, **service_only) -> str:
        return write_conf(
            os.path.join(self.directory, '%s.conf' % name),
            self.transport_url, self.exchange, name,
            os.path.join(self.directory, '%s.log' % name),
            self.enforcement, **service_only)

    def start_conductor(self) -> None:
        """``nova-conductor --config-file ...``: Nova's start-up order."""
        conductor = os.path.join(os.path.dirname(sys.executable),
                                 'nova-conductor')
        conf = self._conf('conductor', db_url=self.db_url,
                          placement_url=self.placement_url)
        self._processes.append(subprocess.Popen(
            [conductor, '--config-file', conf], cwd=self.directory,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.directory, 'conductor.err'),
                        'w')))

    def compute_side(self, name: str, python: str,
                     backend: str) -> 'ComputeSide':
        """A compute-side process of the Nova of ``python``."""
        process = ComputeSide(python, self._conf(name), backend,
                              os.path.join(self.directory, '%s.err' % name),
                              self.directory)
        self._processes.append(process.process)
        return process

    def conductor_warnings(self) -> list[str]:
        """The WARNING lines of the conductor's log."""
        try:
            with open(self.conductor_log) as log:
                return [line for line in log if ' WARNING ' in line]
        except FileNotFoundError:
            return []

    def stop(self) -> None:
        for process in reversed(self._processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self._processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class ComputeSide:
    """A running :mod:`compute_side` process: one JSON line a command."""

    def __init__(self, python: str, conf: str, backend: str, err: str,
                 cwd: str) -> None:
        self.err = err
        self.process = subprocess.Popen(
            [python, COMPUTE_SIDE, '--config-file', conf,
             '--backend', backend],
            cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(err, 'w'), text=True)
        try:
            ready = self._reply(READY_SECONDS)
            if not ready.get('ready'):
                raise RuntimeError('compute side did not start: %s' % ready)
        except Exception:
            self.process.kill()
            self.process.wait()
            raise

    def _reply(self, seconds: float) -> dict:
        readable, _, _ = select.select([self.process.stdout], [], [],
                                       seconds)
        line = self.process.stdout.readline() if readable else ''
        if not line:
            with open(self.err) as err:
                tail = err.read()[-3000:]
            raise RuntimeError('compute side gave no answer in %ss '
                               '(exit %s): %s' % (seconds,
                                                  self.process.poll(), tail))
        return json.loads(line)

    def call(self, **command) -> dict:
        self.process.stdin.write(json.dumps(command) + '\n')
        self.process.stdin.flush()
        return self._reply(CALL_SECONDS)
