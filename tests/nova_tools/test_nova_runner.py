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

"""The Nova run script against a fake sdist whose one test hangs once.

``tools/nova/run-nova-tests.sh`` runs with ``NOVA_SKIP_SETUP=1``, this
venv's stestr and a three-test "sdist": the second test parks a green
thread and then sleeps far past the watchdog's ``NOVA_STALL_SECONDS``
the first time it runs (a marker file remembers that it did). The
watchdog must dump the hung worker's stacks, kill the run and run the
two tests it left again; the closing counts must include that re-run.
"""

import json
import os
import subprocess
import sys
import textwrap

import fixtures
import testtools

from tests import nova_tools

RUN = os.path.join(nova_tools.TOOLS, 'run-nova-tests.sh')
PREFIX = 'nova.tests.functional.test_hang.HangOnce.'
IDS = [PREFIX + 'test_a_passes', PREFIX + 'test_b_hangs_once',
       PREFIX + 'test_c_after']
HANGING_TEST = '''
import os
import time
import unittest

import greenlet


def parked_green_thread():
    greenlet.getcurrent().parent.switch()


class HangOnce(unittest.TestCase):

    def test_a_passes(self):
        pass

    def test_b_hangs_once(self):
        marker = os.environ['FAKE_HANG_MARKER']
        if not os.path.exists(marker):
            open(marker, 'w').close()
            parked = greenlet.greenlet(parked_green_thread)
            parked.switch()
            time.sleep(600)
        if os.environ.get('FAKE_RERUN_FAILS'):
            self.fail('fails again when run again')

    def test_c_after(self):
        pass
'''


class TestRunAfterAHang(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        sdist = self._tree('sdist', {
            '.stestr.conf': '[DEFAULT]\ntest_path=./nova/tests/functional'
                            '\ntop_dir=./\n',
            'nova/__init__.py': '', 'nova/tests/__init__.py': '',
            'nova/tests/functional/__init__.py': '',
            'nova/tests/functional/test_hang.py': HANGING_TEST})
        selections = self._tree('selections', {
            'functional-selection.txt': '\n'.join(IDS) + '\n'})
        # What setup-nova.sh's .pth line does in Nova's venv.
        site = self._tree('site', {
            'sitecustomize.py': 'import nova_sm_testhooks\n'
                                'nova_sm_testhooks.install()\n'})
        self.marker = os.path.join(self.tmp, 'hung-once')
        self.results = os.path.join(self.tmp, 'results')
        self.env = dict(
            os.environ, NOVA_SKIP_SETUP='1', NOVA_VENV=sys.prefix,
            NOVA_SDIST=sdist, NOVA_STALL_SECONDS='10', NOVA_RETRIES='1',
            NOVA_TEST_CONCURRENCY='1', NOVA_RESULTS_DIR=self.results,
            NOVA_SM_INTEGRATION='0', FAKE_HANG_MARKER=self.marker,
            PYTHONPATH=os.pathsep.join([site, nova_tools.TOOLS]))
        for name in ('NOVA_BASELINE_RESULTS', 'FAKE_RERUN_FAILS'):
            self.env.pop(name, None)
        self.args = [os.path.join(self.tmp, 'workdir') + '/',
                     '--selections', selections]

    def _tree(self, name: str, files: dict[str, str]) -> str:
        root = os.path.join(self.tmp, name)
        for path, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, path)),
                        exist_ok=True)
            with open(os.path.join(root, path), 'w') as f:
                f.write(textwrap.dedent(text))
        return root

    def _run(self, *args: str) -> tuple[int, list[str]]:
        proc = subprocess.run(['bash', RUN] + self.args + list(args),
                              env=self.env, capture_output=True, text=True,
                              timeout=120)
        self.addDetail('stderr', testtools.content.text_content(
            proc.stderr))
        return proc.returncode, proc.stdout.splitlines()

    def _shard(self) -> dict:
        with open(os.path.join(self.results, 'shards',
                               'functional.json')) as f:
            return json.load(f)

    def _dump(self) -> str:
        dumps = self._shard()['attempts'][0]['dumps']
        texts = []
        for path in dumps:
            with open(os.path.join(self.results, path)) as f:
                texts.append(f.read())
        return '\n'.join(texts)

    def test_rerun_passes_and_counts(self):
        code, out = self._run()
        self.assertTrue(os.path.exists(self.marker), 'the test never hung')
        self.assertEqual('3 passed, 0 failed', out[-1])
        self.assertIn('functional: 3 passed, 0 failed, 0 skipped '
                      '(2 re-run after a hung worker)', out)
        self.assertEqual(0, code)
        shard = self._shard()
        self.assertEqual([True, False],
                         [bool(a['killed']) for a in shard['attempts']])
        self.assertEqual(IDS[1:], shard['rerun'])
        self.assertEqual({'passed': 3, 'failed': 0, 'skipped': 0},
                         shard['counts'])
        # The dump of the hung worker: its OS thread in the test, and the
        # green thread it parked.
        dump = self._dump()
        # Two dumps of the hung worker: one at half the stall, one before
        # the kill.
        self.assertEqual(2, dump.count('test %s\n' % IDS[1]))
        sleep = HANGING_TEST.splitlines().index(
            '            time.sleep(600)') + 1
        self.assertIn('test_hang.py", line %d in test_b_hangs_once' % sleep,
                      dump)
        self.assertIn('in parked_green_thread', dump)
        self.assertIn('== end of dump', dump)

    def test_rerun_fails_and_exits_non_zero(self):
        self.env['FAKE_RERUN_FAILS'] = '1'
        code, out = self._run()
        self.assertTrue(os.path.exists(self.marker), 'the test never hung')
        self.assertEqual('2 passed, 1 failed', out[-1])
        self.assertEqual(1, code)
        self.assertIn('  ' + IDS[1], out)

    def test_a_finished_shard_is_not_run_again_unless_asked(self):
        open(self.marker, 'w').close()  # no hang this time
        self.assertEqual(0, self._run()[0])
        stream = os.path.join(self.results, 'functional.subunit')
        first = os.stat(stream).st_mtime_ns
        code, out = self._run()
        self.assertEqual((0, '3 passed, 0 failed'), (code, out[-1]))
        self.assertEqual(first, os.stat(stream).st_mtime_ns)
        self.assertEqual(0, self._run('--rerun', 'functional')[0])
        self.assertNotEqual(first, os.stat(stream).st_mtime_ns)
