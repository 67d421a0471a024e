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

"""``tools/nova/nova_sm_testhooks.py``: stack dumps and the move recorder."""

import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import fixtures
import testtools

from tests import nova_tools

hooks = nova_tools.load('nova_sm_testhooks')


@dataclasses.dataclass(frozen=True)
class CheckedMove:
    """The fields of ``nova_migration_sm.observers.CheckedMove``."""

    operation: str
    migration: object
    migration_type: str
    cross_cell_move: bool
    seen: str | None
    persisted: str | None
    target: str
    outcome: str


MOVE = CheckedMove('save', object(), 'evacuation', False, 'pre-migrating',
                   'completed', 'done', 'race')
# Where the move is asked for, as Nova's call chain: the compute manager
# calls Nova's objects, which call the library (both skipped).
CALLERS = {
    'nova/compute/manager.py': 'def rebuild(move):\n'
                               '    return save(move)\n',
    'nova/objects/migration.py': 'def save(move):\n'
                                 '    return check(move)\n',
    'nova_migration_sm/mixin.py': 'def check(move):\n'
                                  '    return record(move)\n',
}


class TestRecorder(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(self.tmp, 'moves.jsonl')

    def _lines(self) -> list[dict]:
        with open(self.path, encoding='utf-8') as f:
            return [json.loads(line) for line in f]

    def _rebuild(self):
        namespace = {'record': hooks.record}
        for name in reversed(list(CALLERS)):
            filename = os.path.join(self.tmp, 'nova-34.0.0', name)
            exec(compile(CALLERS[name], filename, 'exec'), namespace)
        namespace['rebuild'](MOVE)

    def test_off_records_nothing(self):
        self.useFixture(fixtures.MonkeyPatch(
            'nova_sm_testhooks._record_path', None))
        self._rebuild()
        self.assertFalse(os.path.exists(self.path))

    def test_one_line_per_move_with_the_test_and_nova_frames(self):
        self.useFixture(fixtures.MonkeyPatch(
            'nova_sm_testhooks._record_path', self.path))
        self.useFixture(fixtures.MonkeyPatch(
            'nova_sm_testhooks._current_test', 'a.test'))
        self._rebuild()
        self._rebuild()
        first, second = self._lines()
        self.assertEqual(
            {'test': 'a.test', 'op': 'save', 'type': 'evacuation',
             'cross_cell': False, 'seen': 'pre-migrating',
             'persisted': 'completed', 'to': 'done', 'outcome': 'race',
             'nova': ['nova/compute/manager.py:2 rebuild']},
            {k: v for k, v in first.items() if k != 'id'})
        self.assertEqual(str(os.getpid()), first['id'].split('-')[0])
        self.assertNotEqual(first['id'], second['id'])


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)], capture_output=True,
        text=True, timeout=60,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(
            [env.pop('PYTHONPATH', ''), nova_tools.TOOLS]), **env))


class TestInstall(testtools.TestCase):
    """The hooks as the ``.pth`` line arms them, in a fresh process."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def test_the_recorder_attaches_when_the_library_is_imported(self):
        with open(os.path.join(self.tmp, 'fake_observers.py'), 'w') as f:
            f.write('callbacks = []\nadd = callbacks.append\n')
        moves = os.path.join(self.tmp, 'moves.jsonl')
        proc = _python('''
            import collections, sys
            import nova_sm_testhooks
            # nova_migration_sm.observers' stand-in
            nova_sm_testhooks.OBSERVERS = 'fake_observers'
            nova_sm_testhooks.install()
            assert 'fake_observers' not in sys.modules
            import fake_observers as observers
            Move = collections.namedtuple('Move', 'operation migration '
                'migration_type cross_cell_move seen persisted target '
                'outcome')
            for callback in observers.callbacks:
                callback(Move('create', None, 'live-migration', False,
                              None, None, 'accepted', 'create'))
            ''', {'NOVA_MIGRATION_SM_RECORD': moves,
                  'PYTHONPATH': self.tmp})
        self.assertEqual('', proc.stderr)
        with open(moves) as f:
            (line,) = [json.loads(text) for text in f]
        self.assertEqual(('create', 'live-migration', None, 'accepted',
                          'create'),
                         (line['op'], line['type'], line['seen'],
                          line['to'], line['outcome']))

    def test_sigusr2_dumps_os_and_green_threads(self):
        proc = _python('''
            import os, signal
            import greenlet
            import nova_sm_testhooks
            nova_sm_testhooks.install()

            def parked():
                greenlet.getcurrent().parent.switch()

            green_thread = greenlet.greenlet(parked)
            green_thread.switch()
            os.kill(os.getpid(), signal.SIGUSR2)
            print(os.getpid())
            ''', {'NOVA_SM_DUMP_DIR': self.tmp})
        self.assertEqual('', proc.stderr)
        path = os.path.join(self.tmp, 'threads-%s.txt' % proc.stdout.strip())
        with open(path) as f:
            dump = f.read()
        self.assertIn('== OS threads (faulthandler)\nCurrent thread', dump)
        self.assertIn('File "<string>", line 8, in parked\n', dump)
        self.assertIn('(2 green threads)\n== end of dump\n', dump)

    def test_without_its_variables_nothing_is_armed(self):
        proc = _python('''
            import signal, sys
            import nova_sm_testhooks
            nova_sm_testhooks.install()
            print(signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL,
                  'wrapt' in sys.modules)
            ''', {})
        self.assertEqual('True False\n', proc.stdout)
