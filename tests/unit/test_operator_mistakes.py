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

import fixtures
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
    ``cell2.sqlite`` (8 rows that break under strict); ``api.sqlite``
    maps cell0, cell1 (a template, ``{scheme}:///cell1.sqlite``) and
    cell2; ``api-down.sqlite`` maps cell1 and a cell on a server that is
    down; ``no-cells.sqlite`` maps none; the config files of
    :data:`CONFIGS`.
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
        deployments.api_database(url('no-cells.sqlite'), ())
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
        """Every file's size and modification time."""
        found = {}
        for name in os.listdir(self.path):
            info = os.stat(self.file(name))
            found[name] = (info.st_size, info.st_mtime_ns)
        return found


def run_row(row: dict, directory: str) -> subprocess.CompletedProcess:
    """Run a row's command in ``directory``, as an operator would."""
    command, _, then = row['Command'].partition(' then ')
    command, _, redirect = command.partition(' > ')
    argv = shlex.split(command)
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
    with open(redirect or os.devnull, 'w') as target, subprocess.Popen(
            [sys.executable, '-c', code] + argv, cwd=directory, env=env,
            stdout=target if redirect else subprocess.PIPE,
            stderr=subprocess.PIPE, text=True) as process:
        connection = None
        try:
            if then:
                # NOTE: held open until the command ends: it waits there.
                OperatorFiles.silent.settimeout(60)
                connection, _ = OperatorFiles.silent.accept()
                process.send_signal(SIGNALS[then])
            stdout, stderr = process.communicate(timeout=120)
        except BaseException:
            process.kill()
            raise
        finally:
            if connection is not None:
                connection.close()
    return subprocess.CompletedProcess(process.args, process.returncode,
                                       stdout or '', stderr)


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
                result.returncode == 2 and
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
            self.assertIn(row['Exit'], ('1', '2', '130', '143'), row)
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
