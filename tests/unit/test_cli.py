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

"""The nova-migration-sm show and check sub-commands.

The expected edges, statuses and messages come from the hand-written
transcription (``tests/transcription.py``) or are written out here, never
from the machines the commands print.
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys

import fixtures
import pydot
import testtools

from nova_migration_sm.cmd import cli
from nova_migration_sm.statuses import MigrationStatus as S
from nova_migration_sm.statuses import MigrationType as T
from tests import transcription as transcribed

START = '__start__'
"""The DOT node every creation edge leaves from."""
MACHINES = (
    ('migration-resize', 'migration and resize: Cold migration and resize '
     'within one cell.'),
    ('migration-resize-cross-cell', 'migration and resize (cross-cell): '
     'Cold migration and resize across cells: source (S) and target (T) '
     'rows.'),
    ('live-migration', 'live-migration: Live migration.'),
    ('evacuation', 'evacuation: Evacuation (rebuild on another host).'),
)
"""Each machine's name and title line, in the order ``show`` prints them."""


def lifecycle(migration_type: str, cross_cell: bool = False) -> frozenset:
    """The transcribed ``(from, to)`` lifecycle edges, late ones included."""
    return transcribed.EXPECTED[(migration_type, cross_cell)][0]


def mermaid_id(status: str) -> str:
    """A status as a Mermaid state id: ``pre_migrating``."""
    return {'running (post-copy)': 'running_post_copy'}.get(
        status, status.replace('-', '_'))


class CommandTestCase(testtools.TestCase):

    def run_cli(self, *argv):
        """``(exit code, stdout bytes, stderr text)`` of one command."""
        out = io.TextIOWrapper(io.BytesIO(), encoding='utf-8')
        err = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        code = cli.main(list(argv))
        out.flush()
        return code, out.buffer.getvalue(), err.getvalue()


class TestShow(CommandTestCase):

    def test_table_of_every_machine(self):
        code, out, _ = self.run_cli('show')
        self.assertEqual(0, code)
        for _, title in MACHINES:
            self.assertIn(title, out.decode())

    def test_dot(self):
        code, out, _ = self.run_cli('show', T.EVACUATION, '--format', 'dot')
        self.assertEqual(0, code)
        graph, = pydot.graph_from_dot_data(out.decode())
        edges = {(e.get_source().strip('"'), e.get_destination().strip('"'))
                 for e in graph.get_edges()}
        _, races, initial, _ = transcribed.EXPECTED[(T.EVACUATION, False)]
        self.assertEqual(lifecycle(T.EVACUATION)
                         | {(START, status) for status in initial} | races,
                         edges)

    def test_dot_of_every_machine(self):
        code, out, _ = self.run_cli('show', '--format', 'dot')
        self.assertEqual(0, code)
        graphs = pydot.graph_from_dot_data(out.decode())
        self.assertEqual([name for name, _ in MACHINES],
                         [g.get_name().strip('"') for g in graphs])

    def test_json_round_trips(self):
        code, out, _ = self.run_cli('show', '--format', 'json')
        self.assertEqual(0, code)
        for item in json.loads(out)['machines']:
            for migration_type in item['migration_types']:
                self.assertEqual(
                    lifecycle(migration_type, item['cross_cell_move']),
                    {(e['from'], e['to']) for e in item['edges']})

    def test_cross_cell(self):
        code, out, _ = self.run_cli('show', T.RESIZE, '--cross-cell',
                                    '--format', 'json')
        self.assertEqual(0, code)
        item, = json.loads(out)['machines']
        self.assertTrue(item['cross_cell_move'])
        self.assertIn({'from': S.PRE_MIGRATING, 'to': S.FINISHED},
                      [{'from': e['from'], 'to': e['to']}
                       for e in item['edges']])

    def test_mermaid_has_every_edge(self):
        code, out, _ = self.run_cli('show', T.LIVE_MIGRATION, '--format',
                                    'mermaid')
        self.assertEqual(0, code)
        text = out.decode()
        for src, dst in lifecycle(T.LIVE_MIGRATION):
            self.assertIn('%s --> %s' % (mermaid_id(src), mermaid_id(dst)),
                          text)

    def test_svg_and_png(self):
        if shutil.which('dot') is None:
            self.skipTest('Graphviz dot is not installed')
        code, out, _ = self.run_cli('show', T.RESIZE, '--format', 'svg')
        self.assertEqual(0, code)
        self.assertIn(b'<svg', out)
        code, out, _ = self.run_cli('show', T.RESIZE, '--format', 'png')
        self.assertEqual(0, code)
        self.assertTrue(out.startswith(b'\x89PNG'))

    def test_svg_of_every_machine_needs_a_directory(self):
        code, out, err = self.run_cli('show', '--format', 'svg')
        self.assertEqual(2, code)
        self.assertEqual(b'', out)
        self.assertIn('give a migration type', err)

    def test_output_dir(self):
        directory = self.useFixture(fixtures.TempDir()).path
        code, _, _ = self.run_cli('show', '--format', 'dot',
                                  '--output-dir', directory)
        self.assertEqual(0, code)
        self.assertEqual(sorted('%s.dot' % name for name, _ in MACHINES),
                         sorted(os.listdir(directory)))

    def test_unknown_type_exits_two(self):
        code, out, err = self.run_cli('show', 'shelve')
        self.assertEqual(2, code)
        self.assertEqual(b'', out)
        self.assertEqual(
            "nova-migration-sm show: 'shelve' is not a migration type; the "
            "types are: migration, resize, live-migration, evacuation\n", err)

    def test_output_dir_keeps_no_file_of_a_failed_render(self):
        directory = self.useFixture(fixtures.TempDir()).path
        self.useFixture(fixtures.EnvironmentVariable('PATH', directory))
        code, out, err = self.run_cli('show', '--format', 'svg',
                                      '--output-dir', directory)
        self.assertEqual(2, code)
        self.assertEqual(b'', out)
        self.assertIn('svg needs Graphviz dot', err)
        self.assertEqual([], os.listdir(directory))


class TestCheck(CommandTestCase):

    def test_allowed(self):
        code, out, _ = self.run_cli('check', T.RESIZE, S.FINISHED,
                                    S.CONFIRMING)
        self.assertEqual(0, code)
        self.assertIn('allowed', out.decode())
        self.assertIn('nova/compute/api.py', out.decode())

    def test_refused_lists_the_allowed_next_statuses(self):
        code, out, _ = self.run_cli('check', T.RESIZE, S.CONFIRMED,
                                    S.MIGRATING)
        self.assertEqual(1, code)
        self.assertIn('refused', out.decode())
        self.assertIn("allowed next statuses: 'error'", out.decode())

    def test_create(self):
        self.assertEqual(0, self.run_cli('check', T.LIVE_MIGRATION, '-',
                                         S.ACCEPTED)[0])
        code, out, _ = self.run_cli('check', T.LIVE_MIGRATION, '-',
                                    S.RUNNING)
        self.assertEqual(1, code)
        self.assertIn("allowed initial statuses: 'accepted'", out.decode())

    def test_same_value_is_a_no_op(self):
        code, out, _ = self.run_cli('check', T.EVACUATION, S.DONE, S.DONE)
        self.assertEqual(0, code)
        self.assertIn('no-op', out.decode())

    def test_cross_cell_variant(self):
        argv = ('check', T.MIGRATION, S.PRE_MIGRATING, S.FINISHED)
        self.assertEqual(1, self.run_cli(*argv)[0])
        self.assertEqual(0, self.run_cli(*argv, '--cross-cell')[0])

    def test_status_of_another_type_exits_two(self):
        code, out, err = self.run_cli('check', T.RESIZE, S.RUNNING, S.ERROR)
        self.assertEqual(2, code)
        self.assertEqual(b'', out)
        self.assertIn("'running' is not a status of resize (a status of "
                      "live-migration)", err)

    def test_misspelt_status_exits_two_with_the_closest(self):
        for argv, message in (
                ((T.RESIZE, S.FINISHED, 'confirmd'),
                 "'confirmd' is not a status of resize; did you mean "
                 "'confirmed' or 'confirming'?"),
                ((T.LIVE_MIGRATION, 'runing', S.COMPLETED),
                 "'runing' is not a status of live-migration; did you mean "
                 "'running'?"),
                ((T.EVACUATION, S.DONE, 'Completed'),
                 "'Completed' is not a status of evacuation; did you mean "
                 "'completed'?")):
            code, out, err = self.run_cli('check', *argv)
            self.assertEqual(2, code, argv)
            self.assertEqual(b'', out)
            self.assertEqual('nova-migration-sm check: %s\n' % message, err)

    def test_unknown_type(self):
        code, _, err = self.run_cli('check', 'live_migration', '-',
                                    S.ACCEPTED)
        self.assertEqual(2, code)
        self.assertEqual("nova-migration-sm check: 'live_migration' is not a "
                         "migration type; did you mean 'live-migration' or "
                         "'migration'?\n",
                         err)


class TestCheckStaleWriters(CommandTestCase):
    """``--persisted``: a save judged from what the writer saw and holds.

    The expected lines are written out by hand.
    """

    def _line(self, *argv):
        code, out, err = self.run_cli('check', *argv)
        self.assertEqual('', err)
        line, = out.decode().splitlines()
        return code, line

    def test_declared_race(self):
        self.assertEqual(
            (0, "allowed: evacuation 'pre-migrating' -> 'done' over "
                "persisted 'completed': a declared race (source compute "
                "restart), written in Nova by nova/compute/"
                "resource_tracker.py:2167 finish_evacuation (the "
                "destination saw pre-migrating)"),
            self._line(T.EVACUATION, S.PRE_MIGRATING, S.DONE,
                       '--persisted', S.COMPLETED))

    def test_stale_move_that_is_no_race_is_a_conflict(self):
        self.assertEqual(
            (1, "conflict: evacuation 'accepted' -> 'pre-migrating' over "
                "persisted 'done'; 'done' -> 'pre-migrating' is no declared "
                "race; a stale writer may only move to 'pre-migrating' "
                "from: 'completed'"),
            self._line(T.EVACUATION, S.ACCEPTED, S.PRE_MIGRATING,
                       '--persisted', S.DONE))

    def test_detect_stale_writes_refuses_the_race(self):
        code, line = self._line(T.EVACUATION, S.PRE_MIGRATING, S.DONE,
                                '--persisted', S.COMPLETED,
                                '--detect-stale-writes')
        self.assertEqual(1, code)
        self.assertTrue(line.endswith('detect_stale_writes refuses every '
                                      'stale write'), line)

    def test_writer_that_never_saw_the_status(self):
        code, line = self._line(T.EVACUATION, '?', S.DONE, '--persisted',
                                S.COMPLETED)
        self.assertEqual(0, code)
        self.assertTrue(line.startswith(
            "allowed: evacuation (never seen) -> 'done' over persisted "
            "'completed': a declared race"), line)
        self.assertEqual(
            (1, "refused: live-migration (never seen) -> 'running' over "
                "persisted 'queued'; allowed lifecycle and race statuses: "
                "'preparing', 'cancelled', 'error'"),
            self._line(T.LIVE_MIGRATION, '?', S.RUNNING, '--persisted',
                       S.QUEUED))

    def test_fresh_writer_is_judged_on_the_lifecycle(self):
        self.assertEqual(
            (1, "refused: evacuation 'completed' -> 'pre-migrating'; "
                "allowed next statuses: none"),
            self._line(T.EVACUATION, S.COMPLETED, S.PRE_MIGRATING))


class TestShowOrder(CommandTestCase):
    """``show`` lists next statuses in definition order.

    The order of ``machines.next_statuses()`` and of the README.
    """

    def _next_column(self, migration_type, status):
        code, out, _ = self.run_cli('show', migration_type)
        self.assertEqual(0, code)
        for line in out.decode().splitlines()[2:]:
            cells = re.split(r'\s{2,}', line.strip())
            if cells[0] == status:
                return cells[2]
        self.fail('no row for %r' % status)

    def test_live_migration_running_by_hand(self):
        self.assertEqual('running (post-copy), completed, failed, '
                         'cancelled, error',
                         self._next_column(T.LIVE_MIGRATION, S.RUNNING))

    def test_every_status_as_next_statuses(self):
        for migration_type in T.ALL:
            edges = lifecycle(migration_type)
            for status in {s for edge in edges for s in edge}:
                column = self._next_column(migration_type, status)
                self.assertEqual(
                    {dst for src, dst in edges if src == status},
                    set() if column == '-' else set(column.split(', ')),
                    (migration_type, status))


class TestConsoleScript(testtools.TestCase):

    def test_runs_as_a_program(self):
        result = subprocess.run(
            [sys.executable, '-W', 'ignore', '-m', 'nova_migration_sm.cmd.cli',
             'check', T.RESIZE, S.REVERTED, S.REVERTING],
            capture_output=True, text=True, check=False)
        self.assertEqual(1, result.returncode, result.stderr)
        self.assertIn('refused', result.stdout)

    def test_demo_refuses_with_the_default_config(self):
        # A process of its own: the option's default (warn), no test fixture.
        result = subprocess.run(
            [sys.executable, '-W', 'ignore', '-m', 'nova_migration_sm.cmd.cli',
             'demo'], capture_output=True, text=True, check=False)
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        self.assertIn('InvalidMigrationStatusTransition', result.stdout)
        self.assertIn("the database still holds 'confirmed'", result.stdout)
