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

"""The Nova runner's plans and outcomes, on hand-written test ids."""

import testtools

from tests import nova_tools

shard_plan = nova_tools.load('shard_plan')
results = nova_tools.load('subunit_results')

SAMPLE = 'nova.tests.functional.api_sample_tests.test_migrations.T.'


class TestOutcomes(testtools.TestCase):

    def test_a_scenario_run_stands_for_its_listed_id(self):
        found = results.outcomes(
            [SAMPLE + 'test_get', SAMPLE + 'test_list'],
            {SAMPLE + 'test_get(v2_23)': 'success',
             SAMPLE + 'test_get(v2_80)': 'fail'})
        self.assertEqual({SAMPLE + 'test_get(v2_23)': 'passed',
                          SAMPLE + 'test_get(v2_80)': 'failed',
                          SAMPLE + 'test_list': 'did not run'}, found)

    def test_a_killed_run_leaves_the_unfinished_and_the_unrun(self):
        found = results.outcomes(
            ['a.T.test_1', 'a.T.test_2', 'a.T.test_3', 'a.T.test_4'],
            {'a.T.test_1': 'fail', 'a.T.test_2': 'inprogress',
             'a.T.test_3': 'exists'})
        self.assertEqual(['a.T.test_2', 'a.T.test_3', 'a.T.test_4'],
                         results.left_unrun(found))
        self.assertEqual({'passed': 0, 'failed': 4, 'skipped': 0},
                         results.counts(found))

    def test_the_rerun_replaces_what_it_ran(self):
        first = {'a.T.test_1': 'failed', 'a.T.test_2': 'started, never '
                 'finished', 'a.T.test_3': 'did not run'}
        rerun = {'a.T.test_2': 'passed', 'a.T.test_3': 'skipped'}
        merged = results.merge(first, rerun)
        self.assertEqual({'a.T.test_1': 'failed', 'a.T.test_2': 'passed',
                          'a.T.test_3': 'skipped'}, merged)
        self.assertEqual(['a.T.test_1  [failed]'], results.failing(merged))


class TestPlan(testtools.TestCase):

    def test_packages(self):
        for test_id, package in [
                ('nova.tests.unit.db.main.test_api.T.test_x', 'unit.db'),
                ('nova.tests.unit.api.openstack.compute.test_servers.T.t',
                 'unit.api.openstack.compute'),
                ('nova.tests.unit.compute.test_compute.T.test_x',
                 'unit.compute'),
                ('nova.tests.unit.conductor.tasks.test_migrate.T.t',
                 'unit.conductor'),
                ('nova.tests.functional.test_servers.T.test_x',
                 'functional'),
                ('nova.tests.functional.libvirt.test_numa.T.test_x',
                 'functional.libvirt')]:
            self.assertEqual(package, shard_plan.package_of(test_id))

    def test_even_sorted_chunks(self):
        ids = ['t.%02d' % i for i in range(10, 0, -1)]
        shards = shard_plan.chunks('functional', './f', ids, 4)
        self.assertEqual(
            [('functional-01', ['t.01', 't.02', 't.03', 't.04']),
             ('functional-02', ['t.05', 't.06', 't.07', 't.08']),
             ('functional-03', ['t.09', 't.10'])],
            [(s.name, s.ids) for s in shards])

    def test_the_full_plan_lists_functional_and_the_unit_packages(self):
        asked = []

        def lister(test_path, regex):
            asked.append((test_path, regex))
            return ['nova.tests.x.T.test_%d' % i for i in range(5)]

        shards = shard_plan.full_plan(lister, functional_shard=3,
                                      unit_shard=5)
        self.assertEqual(['functional-01', 'functional-02', 'unit-01'],
                         [s.name for s in shards])
        self.assertEqual(
            [('./nova/tests/functional', None),
             ('./nova/tests/unit', r'^nova\.tests\.unit\.(compute|conductor'
              r'|objects|db|scheduler|api\.openstack\.compute)\.')],
            asked)
