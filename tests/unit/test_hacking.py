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

"""Tests for the status-literal flake8 check (M301-M304)."""

import ast
import textwrap

import testtools

from nova_migration_sm.hacking import checks


def _run(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(textwrap.dedent(source))
    return [(line, message.split(' ', 1)[0])
            for line, _col, message, _type in
            checks.MigrationStatusLiteralChecker(tree, 'x.py').run()]


class TestComparisons(testtools.TestCase):

    def test_equality_with_migration_status(self):
        self.assertEqual([(1, 'M301')],
                         _run("if migration.status == 'confirmed': pass"))

    def test_membership_flags_each_literal(self):
        self.assertEqual(
            [(1, 'M301'), (1, 'M301')],
            _run("x = mig.status not in ('finished', 'confirming')"))

    def test_migration_status_variable(self):
        self.assertEqual(
            [(1, 'M301')],
            _run("ok = migration_status == 'running (post-copy)'"))

    def test_other_objects_status_is_not_flagged(self):
        self.assertEqual([], _run("ok = event.status == 'completed'"))
        self.assertEqual([], _run("ok = instance.status == 'error'"))

    def test_cinder_volume_migration_status_is_not_flagged(self):
        self.assertEqual(
            [], _run("ok = volume['migration_status'] == 'migrating'"))

    def test_non_status_literal_is_not_flagged(self):
        self.assertEqual([], _run("ok = migration.status == 'unknown'"))

    def test_message_suggests_the_constant(self):
        tree = ast.parse("ok = migration.status != 'running'")
        (_line, _col, message, _type), = (
            checks.MigrationStatusLiteralChecker(tree).run())
        self.assertEqual("M301 migration status literal 'running' compared "
                         "with a status; use MigrationStatus.RUNNING",
                         message)


class TestWrites(testtools.TestCase):

    def test_assignment_to_status(self):
        self.assertEqual([(1, 'M302')],
                         _run("migration.status = 'error'"))
        self.assertEqual([(1, 'M302')],
                         _run("migrate_data.migration.status = 'completed'"))

    def test_assignment_to_other_status_is_not_flagged(self):
        self.assertEqual([], _run("event.status = 'failed'"))

    def test_status_keyword_of_a_migration_call(self):
        self.assertEqual(
            [(1, 'M302')],
            _run("m = objects.Migration(ctxt, status='accepted')"))
        self.assertEqual(
            [(1, 'M302')],
            _run("m = Thing(status='accepted', migration_type='x')"))

    def test_status_keyword_of_another_call_is_not_flagged(self):
        self.assertEqual(
            [], _run("e = objects.InstanceExternalEvent(status='failed')"))

    def test_migration_status_keyword_and_default(self):
        self.assertEqual(
            [(1, 'M302')],
            _run("rollback(ctxt, migration_status='cancelled')"))
        self.assertEqual(
            [(1, 'M302')],
            _run("def f(self, migration_status='failed'): pass"))

    def test_set_migration_status_argument(self):
        self.assertEqual(
            [(1, 'M302')],
            _run("self._set_migration_status(migration, 'queued')"))


class TestFilters(testtools.TestCase):

    def test_filter_dict(self):
        self.assertEqual(
            [(1, 'M303')] * 3,
            _run("f = {'status': ['accepted', 'pre-migrating', 'done']}"))

    def test_filters_subscript(self):
        self.assertEqual([(1, 'M303')],
                         _run("filters['status'] = 'error'"))
        self.assertEqual([], _run("_event['status'] = 'failed'"))

    def test_in_on_the_model_column(self):
        self.assertEqual(
            [(1, 'M303')] * 2,
            _run("q = q.filter(~models.Migration.status.in_("
                 "['confirmed', 'error']))"))

    def test_filter_by_status(self):
        self.assertEqual([(1, 'M303')],
                         _run("q = q.filter_by(status='finished')"))

    def test_get_by_instance_and_status_argument(self):
        self.assertEqual(
            [(1, 'M303')],
            _run("objects.Migration.get_by_instance_and_status("
                 "ctxt, uuid, 'finished')"))


class TestNamesAndUniqueStatuses(testtools.TestCase):

    def test_list_later_compared_with_a_status(self):
        self.assertEqual([(2, 'M301')] * 2, _run("""
            in_progress = ['queued', 'preparing']
            if migration.status in in_progress: pass
            """))

    def test_loop_variable_used_as_status_argument(self):
        self.assertEqual([(2, 'M303')] * 2, _run("""
            for status in ('finished', 'confirming'):
                Migration.get_by_instance_and_status(ctxt, uuid, status)
            """))

    def test_unique_status_anywhere(self):
        self.assertEqual([(1, 'M304')],
                         _run("events = {1: 'running (post-copy)'}"))

    def test_a_literal_is_reported_once(self):
        self.assertEqual([(1, 'M301')],
                         _run("ok = migration.status == 'pre-migrating'"))
