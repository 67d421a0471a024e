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

"""The libcst rewrite of status literals, and its command.

Inputs are cut from Nova 34.0.0 (file:line in comments); every expected
output is written out by hand.
"""

import contextlib
import io
import multiprocessing
import os
import textwrap

import fixtures
import testtools

from nova_migration_sm.cmd import cli
from nova_migration_sm.hacking import rewrite


def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip('\n')


class TestRewriteSource(testtools.TestCase):

    def test_literal_becomes_the_constant_and_the_import_is_added(self):
        # nova/compute/resource_tracker.py:1625-1628, imports cut
        before = _code("""
            from nova import exception
            from nova import objects
            from nova import utils


            def f(migration):
                # keep this comment
                migration.status = "error"  # and this one
                migration.save()
            """)
        after = _code("""
            from nova import exception
            from nova import objects
            from nova.objects import fields
            from nova import utils


            def f(migration):
                # keep this comment
                migration.status = fields.MigrationStatus.ERROR  # and this one
                migration.save()
            """)
        result = rewrite.rewrite_source(before)
        self.assertEqual(after, result.source)
        self.assertEqual('from nova.objects import fields',
                         result.import_added)

    def test_existing_import_and_alias_are_reused(self):
        # nova/network/neutron.py:3748 with its import of fields
        before = _code("""
            from nova.objects import fields as obj_fields


            def _update_port_binding(migration):
                revert = migration and migration.status == 'reverted'
            """)
        after = (
            'from nova.objects import fields as obj_fields\n'
            '\n'
            '\n'
            'def _update_port_binding(migration):\n'
            '    revert = (migration and\n'
            '              migration.status == '
            'obj_fields.MigrationStatus.REVERTED)\n')
        result = rewrite.rewrite_source(before)
        self.assertEqual(after, result.source)
        self.assertIsNone(result.import_added)

    def test_a_module_that_binds_fields_gets_an_alias(self):
        before = _code("""
            from oslo_versionedobjects import fields

            from nova import objects

            migration.status = 'done'
            """)
        after = _code("""
            from oslo_versionedobjects import fields

            from nova import objects
            from nova.objects import fields as obj_fields

            migration.status = obj_fields.MigrationStatus.DONE
            """)
        self.assertEqual(after, rewrite.rewrite_source(before).source)

    def test_the_constants_module_itself_needs_no_import(self):
        before = "def f(migration):\n    migration.status = 'done'\n"
        after = ("def f(migration):\n"
                 "    migration.status = MigrationStatus.DONE\n")
        self.assertEqual(after, rewrite.rewrite_source(
            before, module_name='nova.objects.fields').source)

    def test_long_lines_are_broken_inside_their_brackets(self):
        # nova/compute/manager.py:851 and :9457
        before = _code("""
            from nova.objects import fields


            def f(self, migration):
                filters = {
                    'source_compute': self.host,
                    'status': ['accepted', 'pre-migrating', 'done'],
                }
                if True:
                    if True:
                        if True:
                            self._set_migration_status(migration, 'error')
            """)
        after = _code("""
            from nova.objects import fields


            def f(self, migration):
                filters = {
                    'source_compute': self.host,
                    'status': [fields.MigrationStatus.ACCEPTED,
                               fields.MigrationStatus.PRE_MIGRATING,
                               fields.MigrationStatus.DONE],
                }
                if True:
                    if True:
                        if True:
                            self._set_migration_status(migration,
                                                       fields.MigrationStatus.ERROR)
            """)
        self.assertEqual(after, rewrite.rewrite_source(before).source)

    def test_elements_aligned_on_a_moved_bracket_follow_it(self):
        # nova/db/main/api.py:3353-3356
        before = _code("""
            from nova.objects import fields as obj_fields

            query = model_query(context, models.Migration).\\
                    filter_by(instance_uuid=instance_uuid).\\
                    filter(models.Migration.status.in_(['queued', 'preparing',
                                                        'running',
                                                        'post-migrating']))
            """)
        after = _code("""
            from nova.objects import fields as obj_fields

            query = model_query(context, models.Migration).\\
                    filter_by(instance_uuid=instance_uuid).\\
                    filter(models.Migration.status.in_([
                        obj_fields.MigrationStatus.QUEUED,
                        obj_fields.MigrationStatus.PREPARING,
                        obj_fields.MigrationStatus.RUNNING,
                        obj_fields.MigrationStatus.POST_MIGRATING]))
            """)
        self.assertEqual(after, rewrite.rewrite_source(before).source)

    def test_a_container_too_far_right_is_re_hung(self):
        # nova/tests/unit/compute/test_compute.py:8191-8196, in a method
        call = [
            "mock_get_filter.assert_called_once_with(fake_context,",
            "                                 {'source_compute': "
            "self.compute.host,",
            "                                  'status': ['accepted',",
            "                                             'pre-migrating', "
            "'done'],",
            "                                  'migration_type': "
            "'evacuation'})"]
        before = ('from nova.objects import fields as obj_fields\n\n\n'
                  'class T:\n    def test(self):\n' +
                  ''.join('        %s\n' % line for line in call))
        after = _code("""
            from nova.objects import fields as obj_fields


            class T:
                def test(self):
                    mock_get_filter.assert_called_once_with(
                        fake_context,
                        {'source_compute': self.compute.host,
                         'status': [obj_fields.MigrationStatus.ACCEPTED,
                                    obj_fields.MigrationStatus.PRE_MIGRATING,
                                    obj_fields.MigrationStatus.DONE],
                         'migration_type': 'evacuation'})
            """)
        self.assertEqual(after, rewrite.rewrite_source(before).source)

    def test_a_too_long_default_breaks_after_its_equals(self):
        # nova/compute/manager.py:10112-10116 (Nova's flake8 ignores E251)
        before = _code("""
            from nova.objects import fields


            class ComputeManager:
                def _rollback_live_migration(self, context, instance,
                                             dest, migrate_data=None,
                                             migration_status='failed',
                                             source_bdms=None):
                    pass
            """)
        after = _code("""
            from nova.objects import fields


            class ComputeManager:
                def _rollback_live_migration(self, context, instance,
                                             dest, migrate_data=None,
                                             migration_status=
                                                 fields.MigrationStatus.FAILED,
                                             source_bdms=None):
                    pass
            """)
        self.assertEqual(after, rewrite.rewrite_source(before).source)

    def test_a_line_left_too_long_is_named(self):
        # no bracket to break inside
        before = _code("""
            from nova.objects import fields

            instance_migration_record_for_the_resize.status = 'confirmed'
            x = 1
            """)
        result = rewrite.rewrite_source(before)
        self.assertEqual(
            'instance_migration_record_for_the_resize.status = '
            'fields.MigrationStatus.CONFIRMED', result.source.splitlines()[2])
        self.assertEqual([3], result.long_lines)

    def test_nothing_to_rewrite_leaves_the_source(self):
        source = "vm_state = 'error'\n"
        result = rewrite.rewrite_source(source)
        self.assertFalse(result.changed)
        self.assertIs(source, result.source)

    def test_a_second_run_changes_nothing(self):
        before = _code("""
            import os

            from nova import objects

            for status in ('finished', 'confirming'):
                objects.Migration.get_by_instance_and_status(ctx, uuid, status)
            """)
        once = rewrite.rewrite_source(before)
        self.assertEqual(2, len(once.findings))
        twice = rewrite.rewrite_source(once.source)
        self.assertFalse(twice.changed)
        self.assertEqual(once.source, twice.source)

    def test_other_constants(self):
        constants = rewrite.Constants.parse('mylib.states:Status')
        before = "import os\n\nmigration.status = 'error'\n"
        after = ("import os\n\nfrom mylib import states\n\n"
                 "migration.status = states.Status.ERROR\n")
        self.assertEqual(after, rewrite.rewrite_source(
            before, constants).source)

    def test_bad_constants(self):
        for spec in ('MigrationStatus', 'nova.objects.fields', 'x:Y',
                     'nova.objects.fields:Not A Name'):
            self.assertRaises(rewrite.BadInput, rewrite.Constants.parse,
                              spec)

    def test_not_python(self):
        self.assertRaises(rewrite.BadInput, rewrite.rewrite_source,
                          'def (:\n')


class TestCommand(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tree = self.useFixture(fixtures.TempDir()).path

    def _run(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(['rewrite-literals', *argv])
        return code, out.getvalue(), err.getvalue()

    def _write(self, name: str, text: str) -> str:
        path = os.path.join(self.tree, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as stream:
            stream.write(text)
        return path

    def _read(self, path: str) -> str:
        with open(path) as stream:
            return stream.read()

    def test_check_then_rewrite_then_check(self):
        path = self._write('nova/compute/x.py',
                           "migration.status = 'error'\n")
        code, out, _err = self._run('--check', self.tree)
        self.assertEqual(1, code)
        self.assertIn("x.py:1:20: M302 migration status literal 'error'",
                      out)
        self.assertEqual("migration.status = 'error'\n", self._read(path))
        code, out, _err = self._run(self.tree)
        self.assertEqual(0, code)
        self.assertEqual('from nova.objects import fields\n\n'
                         'migration.status = fields.MigrationStatus.ERROR\n',
                         self._read(path))
        self.assertIn('rewrote 1 literal(s) in 1 of 1 file(s)', out)
        self.assertEqual(0, self._run('--check', self.tree)[0])

    def test_diff_writes_nothing(self):
        path = self._write('a.py', "migration.status = 'done'\n")
        code, out, _err = self._run('--diff', path)
        self.assertEqual(0, code)
        # libcst's unified diff, its lines split on newlines
        self.assertEqual(['--- ' + path, '+++ ' + path, '@@ -1,2 +1,4 @@',
                          "-migration.status = 'done'",
                          '+from nova.objects import fields',
                          ' ',
                          '+migration.status = fields.MigrationStatus.DONE',
                          '+'], out.splitlines())
        self.assertEqual("migration.status = 'done'\n", self._read(path))

    def test_bad_input_is_one_line_and_exit_2(self):
        missing = os.path.join(self.tree, 'missing')
        broken = self._write('broken.py', 'def (:\n')
        empty = os.path.join(self.tree, 'empty')
        os.makedirs(empty)
        for argv in ([missing], [broken], [empty],
                     ['--constants', 'nope', self.tree]):
            code, out, err = self._run(*argv)
            self.assertEqual(2, code, argv)
            self.assertEqual(1, len(err.strip().splitlines()), (argv, err))
            self.assertNotIn('Traceback', err)

    def test_a_line_that_cannot_be_broken_is_a_warning_and_counted(self):
        # no bracket to break inside: the line stays, and says so
        path = self._write(
            'nova/compute/x.py',
            'from nova.objects import fields\n\n'
            'instance_migration_record_for_the_resize.status = '
            "'confirmed'\n")
        code, out, err = self._run(self.tree)
        self.assertEqual(0, code)
        self.assertIn('%s:3: 82 columns, longer than 79 after the '
                      'rewrite; break it by hand' % path, err)
        self.assertIn('rewrote 1 literal(s) in 1 of 1 file(s); 1 line(s) '
                      'left longer than 79 columns', out)

    def test_jobs_run_in_processes_that_are_gone_after(self):
        paths = [self._write('nova/m%d.py' % n,
                             "migration.status = 'done'\n")
                 for n in range(9)]
        code, out, _err = self._run('--jobs', '2', self.tree)
        self.assertEqual(0, code)
        self.assertIn('rewrote 9 literal(s) in 9 of 9 file(s)', out)
        for path in paths:
            self.assertEqual(
                'from nova.objects import fields\n\n'
                'migration.status = fields.MigrationStatus.DONE\n',
                self._read(path))
        self.assertEqual([], multiprocessing.active_children())
