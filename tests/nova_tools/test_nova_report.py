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

"""``tools/nova/report.py`` on hand-made results, moves and tables."""

import dataclasses
import json
import os

import fixtures
import testtools

from tests import nova_tools

report = nova_tools.load('report')


@dataclasses.dataclass(frozen=True)
class Definition:
    """The shape of ``machines.Machine`` the report reads."""

    migration_types: tuple
    cross_cell_move: bool
    edges: tuple
    late: tuple
    races: tuple


# A toy machine, independent of nova_migration_sm's real tables.
TOY = Definition(
    migration_types=('evacuation',), cross_cell_move=False,
    edges=((None, 'accepted', 'api'), ('accepted', 'pre-migrating', 'cd'),
           ('pre-migrating', 'done', 'mgr'),
           ('pre-migrating', 'failed', 'mgr')),
    late=(('done', 'error', 'late'),),
    races=(('completed', 'done', 'rt', 'source restarts mid-rebuild'),))

UNIT = 'nova.tests.unit.objects.test_migration.T.'
FUNC = 'nova.tests.functional.api_sample_tests.test_migrations.T.'


def _move(outcome, seen, persisted, to, test='t', op='save'):
    return {'id': '1-0', 'test': test, 'op': op, 'type': 'evacuation',
            'cross_cell': False, 'seen': seen, 'persisted': persisted,
            'to': to, 'outcome': outcome, 'nova': ['nova/x.py:1 f']}


class TestReport(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def _results(self, name: str, outcomes: dict) -> str:
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.join(path, 'shards'))
        with open(os.path.join(path, 'shards', 's.json'), 'w') as f:
            json.dump({'name': 's', 'listed': len(outcomes),
                       'wall_seconds': 60, 'killed': 0, 'rerun': [],
                       'counts': {}, 'outcomes': outcomes}, f)
        return path

    def _moves(self, moves: list) -> str:
        path = os.path.join(self.tmp, 'moves.jsonl')
        with open(path, 'w') as f:
            f.writelines(json.dumps(m) + '\n' for m in moves)
        return path

    def test_per_package_counts(self):
        results = self._results('r', {
            UNIT + 'test_a': 'passed', UNIT + 'test_b': 'skipped',
            FUNC + 'test_c(v2_23)': 'failed',
            FUNC + 'test_c(v2_1)': 'passed',
            FUNC + 'test_d': 'did not run'})
        data, _, failures = report.judge(results, None, None)
        self.assertEqual(
            {'unit.objects': {'listed': 2, 'tests': 2, 'run': 2,
                              'passed': 1, 'failed': 0, 'skipped': 1},
             'functional.api_sample_tests': {
                 'listed': 2, 'tests': 3, 'run': 2, 'passed': 1,
                 'failed': 2, 'skipped': 0}},
            data['tests']['packages'])
        # No baseline: every failing test counts, by its listed id.
        self.assertEqual([FUNC + 'test_c', FUNC + 'test_d'],
                         data['regressions']['ids'])
        self.assertEqual(['2 regressions'], failures)

    def test_regressions_against_the_baseline(self):
        base = self._results('base', {FUNC + 'test_c': 'passed',
                                      FUNC + 'test_d': 'failed',
                                      FUNC + 'test_e': 'failed'})
        results = self._results('r', {FUNC + 'test_c(v2_23)': 'failed',
                                      FUNC + 'test_d': 'failed',
                                      FUNC + 'test_e': 'passed'})
        data, text, failures = report.judge(results, base, None)
        self.assertEqual([FUNC + 'test_c'], data['regressions']['ids'])
        self.assertEqual([FUNC + 'test_e'], data['regressions']['fixed'])
        self.assertIn('regressions (failing here, not on the baseline): 1',
                      text)
        self.assertEqual(['1 regressions'], failures)

    def test_moves_against_the_tables(self):
        results = self._results('r', {UNIT + 'test_a': 'passed'})
        moves = self._moves([
            _move('create', None, None, 'accepted', op='create'),
            _move('lifecycle', 'accepted', 'accepted', 'pre-migrating'),
            _move('same-value', 'pre-migrating', 'pre-migrating',
                  'pre-migrating'),
            _move('conflict', 'pre-migrating', 'completed', 'done'),
            _move('race', 'pre-migrating', 'completed', 'done'),
            _move('lifecycle', '?', 'pre-migrating', 'done'),
        ])
        data, text, failures = report.judge(results, None, moves, [TOY])
        m = data['moves']
        self.assertEqual(6, m['moves_checked'])
        self.assertEqual([], m['refused'])
        self.assertEqual(1, len(m['conflicts']))
        self.assertEqual((1, 1), (m['same_value'], m['race_moves']))
        (evacuation,) = m['per_type']
        self.assertEqual(
            [(None, 'accepted', 1), ('accepted', 'pre-migrating', 1),
             ('pre-migrating', 'done', 1)],
            [(e['from'], e['to'], e['count']) for e in evacuation['taken']])
        self.assertEqual(
            [('pre-migrating', 'failed'), ('done', 'error')],
            [(e['from'], e['to']) for e in evacuation['never_taken']])
        self.assertEqual(
            [('completed', 'done', 'source restarts mid-rebuild', 1)],
            [(r['persisted'], r['to'], r['race'], r['count'])
             for r in evacuation['races_taken']])
        self.assertIn('  evacuation completed -> done: 1 (source restarts '
                      'mid-rebuild)', text)
        self.assertIn('  evacuation      same-cell   3 of  5 edges,     3 '
                      'moves; races 1 of 1', text)
        self.assertEqual([], failures)

    def test_a_refused_move_fails_the_run(self):
        results = self._results('r', {UNIT + 'test_a': 'passed'})
        moves = self._moves([
            _move('lifecycle', 'accepted', 'accepted', 'pre-migrating'),
            _move('refused', 'done', 'done', 'pre-migrating', test='x')])
        data, text, failures = report.judge(results, None, moves, [TOY])
        self.assertEqual(['1 moves refused'], failures)
        self.assertIn('  REFUSED save evacuation: seen done, persisted '
                      'done, to pre-migrating  [x]', text)

    def test_a_move_the_tables_do_not_hold_fails_the_run(self):
        results = self._results('r', {UNIT + 'test_a': 'passed'})
        moves = self._moves([_move('race', 'accepted', 'done', 'failed')])
        _, _, failures = report.judge(results, None, moves, [TOY])
        self.assertEqual(['1 moves the tables do not explain'], failures)

    def test_an_integration_run_without_moves_checked_nothing(self):
        results = self._results('r', {UNIT + 'test_a': 'passed'})
        _, _, failures = report.judge(results, None, self._moves([]),
                                      [TOY])
        self.assertEqual(['no move was recorded: nothing was checked'],
                         failures)

    def test_bad_input_is_one_line_and_exit_2(self):
        stderr = self.useFixture(fixtures.StringStream('stderr'))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', stderr.stream))
        self.assertEqual(2, report.main(['--results', self.tmp]))
        self.assertEqual('report: no test results in %s\n' % self.tmp,
                         stderr.getDetails()['stderr'].as_text())
