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

"""The ``>>>`` examples of the README and the docs, run with doctest.

An example that drifts from the code fails here; the expected outputs
are the ones the pages show, written by hand.
"""

import doctest
import io
import os

import testscenarios
import testtools

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PAGES = ('README.rst', os.path.join('doc', 'source', 'install.rst'))

load_tests = testscenarios.load_tests_apply_scenarios


def run_examples(text: str, name: str) -> tuple[doctest.TestResults, str]:
    """Run the ``>>>`` examples of ``text``; results and the report."""
    test = doctest.DocTestParser().get_doctest(text, {}, name, name, 0)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test, out=report.write)
    return doctest.TestResults(runner.failures, runner.tries), \
        report.getvalue()


class TestDocExamples(testtools.TestCase):

    scenarios = [(page, {'page': page}) for page in PAGES]

    def test_examples_hold(self):
        with open(os.path.join(REPO, self.page)) as stream:
            results, report = run_examples(stream.read(), self.page)
        self.assertGreater(results.attempted, 1)
        self.assertEqual(0, results.failed, report)


class TestAnExampleCanFail(testtools.TestCase):

    def test_a_drifted_example_fails(self):
        text = ('    >>> from nova_migration_sm import machines\n'
                "    >>> machines.is_allowed('resize', 'confirmed', "
                "'migrating')\n    True\n")
        results, report = run_examples(text, 'drifted')
        self.assertEqual((1, 2), (results.failed, results.attempted))
        self.assertIn('Expected:\n    True\nGot:\n    False', report)
