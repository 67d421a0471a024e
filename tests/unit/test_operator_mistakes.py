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

"""Every row of the operator-mistakes catalogue, run as an operator would.

The catalogue is ``doc/source/reference/operator-mistakes.csv``, the very
file the documentation shows: each row is a command, its exit status and
the exact line it prints (``...`` stands for text from a library or the
system, such as an absolute path). A command ending in ``then Ctrl-C``
or ``then SIGTERM`` gets that signal once it has connected to the silent
server of ``silent.conf``; ``> /dev/full`` sends its stdout to a full
disk. Each row runs in a fresh process, in
a directory of the files :class:`OperatorFiles` makes (the page lists
them), with the packages of its "Not installed" column hidden. Every row
must also print no traceback and no password, and leave every file of
the directory as it was.

``python -m tests.unit.test_operator_mistakes`` prints what each row
prints now, to review when a message changes on purpose.
"""

import atexit
import csv
import datetime
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import fixtures
import sqlalchemy as sa
import testscenarios
import testtools

from tests.unit import deployments
from tests.unit import test_audit

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CATALOGUE = os.path.join(REPO, 'doc', 'source', 'reference',
                         'operator-mistakes.csv')
PASSWORD = 'secret'
"""The password of every URL in the catalogue; never printed."""
GRAPHVIZ = 'Graphviz'
"""In "Not installed": no ``dot`` on the PATH."""
DOWN = 'postgresql+psycopg2://nova:%s@127.0.0.1:1/nova' % PASSWORD
"""A server that refuses connections."""
FIFO = 'fifo.conf'
"""A named pipe no one writes to: a config file whose reading waits."""
EXIT_STATUSES = ('1', '2', '130', '143')
"""Refused or would break; could not check; SIGINT; SIGTERM."""

load_tests = testscenarios.load_tests_apply_scenarios


def load() -> list[dict]:
    with open(CATALOGUE, newline='') as stream:
        return list(csv.DictReader(stream))


CONFIGS = {
    'nova.conf': {'api_database': 'sqlite:///api.sqlite',
                  'database': 'sqlite:///cell1.sqlite'},
    'no-db.conf': {},
    'cell-as-api.conf': {'api_database': 'sqlite:///cell1.sqlite'},
    'garbage.conf': {'api_database': 'nova-api'},
    'no-cells.conf': {'api_database': 'sqlite:///no-cells.sqlite'},
    'template.conf': {'api_database': 'sqlite:///api.sqlite'},
    'down.conf': {'api_database': 'sqlite:///api-down.sqlite',
                  'database': 'sqlite:///cell1.sqlite'},
    'shared.conf': {'api_database': 'sqlite:///api-shared.sqlite'},
    os.path.join('conf.d', 'nova.conf'): {
        'api_database': 'sqlite:///api.sqlite',
        'database': 'sqlite:///cell1.sqlite'},
}
"""Config file -> ``{group: connection}``."""

BAD_VALUES = {'strikt.conf': 'enforcement = strikt',
              'maybe.conf': 'detect_stale_writes = maybe'}
"""Config file -> a bad ``[migration_state_machine]`` line; the rest is
``nova.conf``."""

SIGNALS = {'Ctrl-C': signal.SIGINT, 'SIGTERM': signal.SIGTERM}
"""What ``COMMAND then ...`` sends to the command."""


class OperatorFiles(fixtures.Fixture):
    """A directory of Nova databases and config files to make mistakes in.

    ``cell0.sqlite`` (no migration), ``cell1.sqlite`` (clean),
    ``cell2.sqlite`` (8 rows that break under strict), ``pre-train.sqlite``
    (a ``migrations`` table without ``cross_cell_move``); ``api.sqlite``
    maps cell0, cell1 (a template, ``{scheme}:///cell1.sqlite``) and
    cell2; ``api-down.sqlite`` maps cell1 and a cell on a server that is
    down; ``api-shared.sqlite`` maps cell1 and cell2 both on
    ``cell2.sqlite``; ``no-cells.sqlite`` maps none; the config files of
    :data:`CONFIGS` (``conf.d`` a directory of one); :data:`FIFO`.
    """

    _template: str | None = None
    """The files, made once per process and copied for each test."""
    silent: socket.socket | None = None
    """A server that accepts connections and never answers (per process):
    ``silent.conf``'s API database."""

    def _setUp(self) -> None:
        cls = type(self)
        if cls._template is None:
            cls._template = tempfile.mkdtemp(prefix='nmsm-operator-files-')
            atexit.register(shutil.rmtree, cls._template, True)
            self._make(cls._template)
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'files')
        shutil.copytree(cls._template, self.path)
        # NOTE: made here: copying a named pipe would wait for a writer.
        os.mkfifo(self.file(FIFO))

    @staticmethod
    def _make(path: str) -> None:
        def url(name):
            return 'sqlite:///%s' % os.path.join(path, name)

        now = datetime.datetime.utcnow()
        for name, seeder in (
                ('cell0', test_audit.Seeder(now)),
                ('cell1', test_audit.Seeder(now).good()),
                ('cell2', test_audit.Seeder(now).good().bad())):
            deployments.cell_database(url(name + '.sqlite'), seeder)
        deployments.api_database(url('api.sqlite'), (
            (deployments.CELL0_UUID, 'cell0', 'sqlite:///cell0.sqlite'),
            (deployments.CELL1_UUID, 'cell1', '{scheme}:///cell1.sqlite'),
            (deployments.CELL2_UUID, 'cell2', 'sqlite:///cell2.sqlite')))
        deployments.api_database(url('api-down.sqlite'), (
            (deployments.CELL1_UUID, 'cell1', 'sqlite:///cell1.sqlite'),
            (deployments.CELL2_UUID, 'cell2', DOWN)))
        deployments.api_database(url('api-shared.sqlite'), (
            (deployments.CELL1_UUID, 'cell1', 'sqlite:///cell2.sqlite'),
            (deployments.CELL2_UUID, 'cell2', 'sqlite:///cell2.sqlite')))
        deployments.api_database(url('no-cells.sqlite'), ())
        engine = sa.create_engine(url('pre-train.sqlite'))
        try:
            with engine.begin() as connection:
                # NOTE: Nova Stein's columns, short of Train's 397.
                connection.exec_driver_sql(
                    'CREATE TABLE migrations (id INTEGER PRIMARY KEY, '
                    'uuid VARCHAR(36), migration_type VARCHAR(16), '
                    'status VARCHAR(255), old_instance_type_id INTEGER, '
                    'new_instance_type_id INTEGER, source_compute '
                    'VARCHAR(255), created_at DATETIME, updated_at '
                    'DATETIME, deleted INTEGER)')
        finally:
            engine.dispose()
        os.mkdir(os.path.join(path, 'conf.d'))
        for name, options in CONFIGS.items():
            deployments.nova_conf(os.path.join(path, name),
                                  options.get('api_database'),
                                  options.get('database'))
        for name, line in BAD_VALUES.items():
            shutil.copy(os.path.join(path, 'nova.conf'),
                        os.path.join(path, name))
            with open(os.path.join(path, name), 'a') as out:
                out.write('[migration_state_machine]\n%s\n' % line)
        OperatorFiles.silent = socket.create_server(('127.0.0.1', 0))
        deployments.nova_conf(
            os.path.join(path, 'silent.conf'),
            'mysql+pymysql://nova:%s@127.0.0.1:%d/nova_api' % (
                PASSWORD, OperatorFiles.silent.getsockname()[1]))

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def snapshot(self) -> dict:
        """Every file's size and modification time, in every directory."""
        found = {}
        for directory, _, names in os.walk(self.path):
            for name in names:
                info = os.stat(os.path.join(directory, name))
                found[os.path.relpath(os.path.join(directory, name),
                                      self.path)] = (info.st_size,
                                                     info.st_mtime_ns)
        return found


def _as_in_a_shell() -> None:
    """Signals as an operator's shell leaves them to a command.

    A test runner started in the background (``nohup``, CI) inherits
    SIGINT ignored, and so would the command, which keeps an ignored
    signal ignored.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)


def _signal_when_waiting(process: subprocess.Popen, signum: int,
                         seconds: float, directory: str) -> None:
    """Send ``signum`` once the process waits on :data:`FIFO`.

    At most ``seconds`` from now, as ``timeout -s`` would.
    """
    deadline = time.monotonic() + seconds
    writer = None
    while writer is None and time.monotonic() < deadline and \
            process.poll() is None:
        try:
            writer = os.open(os.path.join(directory, FIFO),
                             os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # no reader yet
            time.sleep(0.05)
    time.sleep(0.2)  # it reads, and waits for a line
    process.send_signal(signum)
    try:
        process.wait(timeout=60)
    finally:
        if writer is not None:
            os.close(writer)


def run_row(row: dict, directory: str) -> subprocess.CompletedProcess:
    """Run a row's command in ``directory``, as an operator would.

    ``> FILE`` at the end sends stdout to FILE; ``timeout -s SIG N`` in
    front sends SIG once the command waits on :data:`FIFO`, or after N
    seconds; ``then Ctrl-C`` or ``then SIGTERM`` at the end sends that
    signal once the command has connected to the silent server of
    ``silent.conf``.
    """
    command, _, then = row['Command'].partition(' then ')
    argv = shlex.split(command)
    stop = None
    if argv[0] == 'timeout':
        stop = (getattr(signal, 'SIG' + argv[2]), float(argv[3]))
        argv = argv[4:]
    stdout = None
    if len(argv) > 2 and argv[-2] == '>':
        stdout, argv = argv[-1], argv[:-2]
    if argv[0] == 'nova-migration-sm':
        module, argv = 'nova_migration_sm.cmd.cli', argv[1:]
    elif argv[:2] == ['python', '-m']:
        module, argv = argv[2], argv[3:]
    else:
        raise ValueError('Not a command of this package: %r' % argv)
    missing = row['Not installed'].split()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [REPO] + os.environ.get('PYTHONPATH', '').split(os.pathsep)))
    if GRAPHVIZ in missing:
        missing.remove(GRAPHVIZ)
        env['PATH'] = directory
    # NOTE: a module set to None in sys.modules cannot be imported: the
    # process runs as if the package were not installed.
    code = ('import runpy, sys; sys.modules.update(dict.fromkeys(%r)); '
            'runpy.run_module(%r, run_name="__main__", alter_sys=True)'
            % (missing, module))
    command = [sys.executable, '-c', code] + argv
    if stdout is None and stop is None and not then:
        return subprocess.run(command, cwd=directory, env=env,
                              capture_output=True, text=True, timeout=120,
                              check=False)
    with open(stdout or os.devnull, 'w') as out, \
            tempfile.TemporaryFile('w+') as err:
        process = subprocess.Popen(command, cwd=directory, env=env,
                                   stdout=out if stdout else
                                   subprocess.PIPE, stderr=err, text=True,
                                   preexec_fn=_as_in_a_shell)
        connection = None
        try:
            if stop is not None:
                _signal_when_waiting(process, stop[0], stop[1], directory)
            elif then:
                # NOTE: held open until the command ends: it waits there.
                OperatorFiles.silent.settimeout(60)
                connection, _ = OperatorFiles.silent.accept()
                process.send_signal(SIGNALS[then])
            output = process.communicate(timeout=120)[0] or ''
        except BaseException:
            process.kill()
            raise
        finally:
            if connection is not None:
                connection.close()
        err.seek(0)
        return subprocess.CompletedProcess(command, process.returncode,
                                           output, err.read())


def pattern(message: str) -> re.Pattern:
    """The message as a regular expression; ``...`` matches anything."""
    return re.compile('.*'.join(re.escape(part)
                                for part in message.split('...')))


def printed(result: subprocess.CompletedProcess) -> list[str]:
    """The lines an operator reads.

    stdout's and stderr's, or, for ``upgrade check --json``, each
    check's details.
    """
    try:
        document = json.loads(result.stdout)
    except ValueError:
        return result.stdout.splitlines() + result.stderr.splitlines()
    return [check['details'] for check in document['checks']] + \
        result.stderr.splitlines()


class TestOperatorMistakes(testtools.TestCase):

    # NOTE: keyed by the command (unique, TestCatalogue checks it), not by
    # position: a row added above another does not rename its test.
    scenarios = [(row['Command'], {'row': row}) for row in load()]

    def test_message_and_exit_status(self):
        files = self.useFixture(OperatorFiles())
        before = files.snapshot()
        result = run_row(self.row, files.path)
        output = result.stdout + result.stderr
        self.addDetail('stdout', testtools.content.text_content(
            result.stdout))
        self.addDetail('stderr', testtools.content.text_content(
            result.stderr))
        self.assertEqual(int(self.row['Exit']), result.returncode)
        expected = pattern(self.row['Message'])
        self.assertTrue(
            any(expected.fullmatch(line) for line in printed(result)),
            'No line is %r' % self.row['Message'])
        self.assertNotIn('Traceback', output)
        self.assertNotIn(PASSWORD, output)
        if result.returncode in (130, 143) or (
                result.returncode != 1 and
                'upgrade' not in self.row['Command']):
            line, = result.stderr.splitlines()
            self.assertTrue(expected.fullmatch(line), line)
        self.assertEqual(before, files.snapshot())


class TestCatalogue(testtools.TestCase):

    def test_size_and_columns(self):
        rows = load()
        self.assertGreaterEqual(len(rows), 25)
        self.assertEqual(['Mistake', 'Command', 'Exit', 'Message',
                          'Not installed'], list(rows[0]))
        for row in rows:
            self.assertIn(row['Exit'], EXIT_STATUSES, row)
            self.assertTrue(row['Mistake'] and row['Message'], row)
        commands = [row['Command'] for row in rows]
        self.assertEqual(len(set(commands)), len(commands))

    def _verdict(self, row: dict) -> testtools.TestResult:
        test = TestOperatorMistakes('test_message_and_exit_status')
        test.row = row
        result = testtools.TestResult()
        test.run(result)
        return result

    def test_a_wrong_row_fails(self):
        # The check of a row can fail: the first row passes as written,
        # and fails with its message one word off or another exit status.
        row = load()[0]
        self.assertTrue(self._verdict(row).wasSuccessful())
        wrong_message = dict(row, Message=row['Message'].replace(
            ' ', '  ', 1))
        self.assertEqual(1, len(self._verdict(wrong_message).failures))
        wrong_exit = dict(row, Exit='1' if row['Exit'] == '2' else '2')
        self.assertEqual(1, len(self._verdict(wrong_exit).failures))


def main() -> int:
    """Print what each row prints now (for review, never copied blind)."""
    fixture = OperatorFiles()
    fixture.setUp()
    try:
        for row in load():
            result = run_row(row, fixture.path)
            lines = printed(result)
            print('%s\n  exit %d (catalogue: %s)\n  %s\n' % (
                row['Command'], result.returncode, row['Exit'],
                '\n  '.join(lines[-3:])))
    finally:
        fixture.cleanUp()
    return 0


if __name__ == '__main__':
    sys.exit(main())
