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
are the ones the pages show, written by hand. A rule the pages state that
no example can show (it needs Nova) is checked here from the source.
"""

import ast
import doctest
import io
import os
import re

import testscenarios
import testtools

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PAGES = ('README.rst', os.path.join('doc', 'source', 'install.rst'),
         os.path.join('doc', 'source', 'developers.rst'))

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


class TestRegistrationIsACall(testtools.TestCase):
    """README: importing the options registers nothing; Nova registers.

    Nova is not installed here, so the patch is read, not applied.
    """

    MODULE = os.path.join('nova_migration_sm', 'conf.py')
    PATCH = os.path.join('tools', 'nova', 'nova-34.0.0.patch')

    @staticmethod
    def registrations_at_import(source: str) -> list[str]:
        """Module-level calls and class decorators that name a register."""
        found = []
        for statement in ast.parse(source).body:
            nodes = [statement] if not isinstance(statement, (
                ast.FunctionDef, ast.ClassDef)) else statement.decorator_list
            for node in nodes:
                found += [ast.unparse(n) for n in ast.walk(node)
                          if 'register' in ast.unparse(n).split('(')[0]
                          and isinstance(n, (ast.Call, ast.Attribute,
                                             ast.Name))]
        return found

    def added_lines(self, path: str) -> str:
        """The lines the patch adds to ``path`` in Nova's tree."""
        with open(os.path.join(REPO, self.PATCH)) as stream:
            patch = stream.read()
        diff = re.search(r'^diff --git a/%s b/%s\n(.*?)(?=^diff --git|\Z)'
                         % (re.escape(path), re.escape(path)),
                         patch, re.MULTILINE | re.DOTALL)
        self.assertIsNotNone(diff, path)
        return ''.join(line[1:] + '\n' for line in
                       diff.group(1).splitlines() if line.startswith('+'))

    def test_importing_registers_nothing(self):
        with open(os.path.join(REPO, self.MODULE)) as stream:
            self.assertEqual([], self.registrations_at_import(stream.read()))

    def test_a_registration_at_import_is_found(self):
        self.assertEqual(['register()', 'register'],
                         self.registrations_at_import(
                             'def register():\n    pass\n\n\nregister()\n'))
        self.assertIn('base.NovaObjectRegistry.register',
                      self.registrations_at_import(
                          '@base.NovaObjectRegistry.register\n'
                          'class Migration:\n    pass\n'))

    def test_nova_registers_the_options_in_nova_conf(self):
        self.assertIn('    migration_sm_conf.register_opts(conf)\n',
                      self.added_lines('nova/conf/migration_state_machine.py'))
        self.assertIn('migration_state_machine.register_opts(CONF)\n',
                      self.added_lines('nova/conf/__init__.py'))

    def test_nova_registers_its_own_migration(self):
        self.assertIn(
            '@base.NovaObjectRegistry.register\n'
            'class Migration(migration_sm_mixin.MigrationStateMachineMixin, '
            '_MigrationBase):\n',
            self.added_lines('nova/objects/migration.py'))
