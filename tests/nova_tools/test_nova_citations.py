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

"""tools/nova/citations.py against a tiny fake Nova sdist written here.

Part of ``tests/nova_tools`` (``tox -e nova-tools``), not the library's
unit suite; it imports the script itself, so it also runs alone:
``python -m unittest discover -s tests/nova_tools -p test_nova_citations.py``.
"""

import contextlib
import io
import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', '..', 'tools', 'nova'))

import citations  # noqa: E402
from nova_migration_sm import definitions  # noqa: E402

MANAGER = '''
import contextlib


@contextlib.contextmanager
def errors_out_migration_ctxt(migration):
    try:
        yield
    except Exception:
        migration.status = 'error'
        migration.save()


def errors_out_migration(function):
    def decorated(self, context, *args, **kwargs):
        with errors_out_migration_ctxt(kwargs['migration']):
            return function(self, context, *args, **kwargs)
    return decorated


class ComputeManager(object):

    @staticmethod
    def _set_migration_status(migration, status):
        if migration:
            migration.status = status
            migration.save()

    def _resize_instance(self, migration):
        migration.status = 'migrating'
        migration.save()

    def _finish_resize(self, migration):
        migration.status = 'post-migrating'

    def live_migration(self, migration):
        self._set_migration_status(migration, 'queued')

    def _rollback_live_migration(self, migration, migration_status='failed'):
        self._set_migration_status(migration, migration_status)

    def live_migration_abort(self, migration):
        self._rollback_live_migration(migration, 'cancelled')

    @errors_out_migration
    def prep_resize(self, context, migration):
        pass

    def revert_resize(self, context, migration):
        with self._other(), errors_out_migration_ctxt(migration):
            pass

    def confirm_resize(self, context, migration):
        pass
'''

TRACKER = '''
class ResourceTracker(object):

    def drop_move_claim_at_source(self, migration):
        migration.status = 'confirmed'

    def _create(self, objects):
        return objects.Migration(status='pre-migrating')

    def _copy(self, migration):
        copy = clone_creatable_object(migration)
        copy.create()


def driver_recover(manager, migration):
    manager.recover(migration, migration_status='running (post-copy)')
'''

CALLER = '''
def _confirm_resize(rt, migration):
    rt.drop_move_claim_at_source(migration)


def _unrelated(rt, migration):
    pass
'''


def move(to_status, where):
    """A move of a made-up machine, with a hand-written ``WHERE``."""
    return citations.Move('test', 'edge', 'from', to_status, where)


class FakeSdist(unittest.TestCase):
    """A Nova sdist of three files, version ``series``.0.0."""

    series = 34

    def setUp(self):
        super().setUp()
        self.sdist = tempfile.mkdtemp(prefix='nova-%d.0.0-' % self.series)
        self.addCleanup(self._remove)
        self.write('PKG-INFO', 'Name: nova\nVersion: %d.0.0\n' % self.series)
        self.write('nova/compute/manager.py', MANAGER)
        self.write('nova/compute/resource_tracker.py', TRACKER)
        self.write('nova/compute/caller.py', CALLER)

    def _remove(self):
        import shutil
        shutil.rmtree(self.sdist)

    def write(self, path, text):
        full = os.path.join(self.sdist, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w', encoding='utf-8') as f:
            f.write(textwrap.dedent(text))

    def report(self, *moves):
        return citations.check_sdist(self.sdist, 'fake', list(moves))

    def assertHolds(self, to_status, where):
        report = self.report(move(to_status, where))
        self.assertEqual([], report.missing)
        self.assertGreater(report.checked, 0)
        self.assertTrue(report.ok)

    def assertMissing(self, to_status, where, reason):
        report = self.report(move(to_status, where))
        self.assertEqual(1, len(report.missing), report.missing)
        self.assertIn(reason, report.missing[0])
        self.assertFalse(report.ok)


class TestStatements(FakeSdist):

    def test_attribute_assignment(self):
        self.assertHolds(
            'migrating',
            'compute/manager.py:1 ComputeManager._resize_instance (source)')

    def test_line_is_ignored(self):
        self.assertHolds('migrating',
                         'compute/manager.py:99999 _resize_instance')

    def test_other_status_is_missing(self):
        self.assertMissing(
            'finished', 'compute/manager.py:1 ComputeManager._finish_resize',
            "ComputeManager._finish_resize no longer writes status "
            "'finished'")

    def test_undefined_function_is_missing(self):
        self.assertMissing(
            'migrating', 'compute/manager.py:1 ComputeManager._do_resize',
            'ComputeManager._do_resize is not defined in '
            'nova/compute/manager.py')

    def test_missing_file(self):
        self.assertMissing('migrating', 'compute/gone.py:1 f',
                           'nova/compute/gone.py is missing')

    def test_status_setter_call(self):
        self.assertHolds('queued', 'compute/manager.py:1 live_migration')

    def test_status_keyword(self):
        self.assertHolds(
            'pre-migrating',
            'compute/resource_tracker.py:1 ResourceTracker._create')

    def test_parameter_default(self):
        self.assertHolds('failed',
                         'compute/manager.py:1 _rollback_live_migration')

    def test_parameter_passed_positionally(self):
        self.assertHolds('cancelled',
                         'compute/manager.py:1 _rollback_live_migration')

    def test_parameter_passed_by_keyword_elsewhere(self):
        self.assertHolds('running (post-copy)',
                         'compute/manager.py:1 _rollback_live_migration')

    def test_parameter_never_given_the_status(self):
        self.assertMissing('completed',
                           'compute/manager.py:1 _rollback_live_migration',
                           "no longer writes status 'completed'")

    def test_copy_by_helper(self):
        self.assertHolds('pre-migrating',
                         'T: compute/resource_tracker.py:5 _copy (copy of '
                         'the row by clone_creatable_object)')
        self.assertMissing('pre-migrating',
                           'compute/resource_tracker.py:5 _copy (copy of the '
                           'row by deep_copy)',
                           '_copy no longer calls deep_copy (the copy)')


class TestCallersAndWrappers(FakeSdist):

    def test_caller_calls(self):
        self.assertHolds('confirmed',
                         'compute/resource_tracker.py:3 drop_move_claim_at_'
                         'source via compute/caller.py:2 _confirm_resize')

    def test_caller_does_not_call(self):
        self.assertMissing('confirmed',
                           'compute/resource_tracker.py:3 drop_move_claim_at_'
                           'source via compute/caller.py:6 _unrelated',
                           '_unrelated no longer calls '
                           'drop_move_claim_at_source')

    def test_caller_undefined(self):
        self.assertMissing('confirmed',
                           'compute/resource_tracker.py:3 drop_move_claim_at_'
                           'source via compute/caller.py:6 _gone',
                           '_gone (the caller) is not defined')

    def test_wrapped_by_decorator_and_with(self):
        self.assertHolds('error',
                         'compute/manager.py:124 errors_out_migration_ctxt '
                         'via prep_resize (:5), revert_resize (:9 in 1.0)')

    def test_wrapped_in(self):
        self.assertHolds('error',
                         'compute/manager.py:124 errors_out_migration_ctxt '
                         'in revert_resize (:10213)')

    def test_not_wrapped(self):
        self.assertMissing('error',
                           'compute/manager.py:124 errors_out_migration_ctxt '
                           'via prep_resize (:5), confirm_resize (:7)',
                           'confirm_resize no longer runs inside '
                           'errors_out_migration_ctxt')

    def test_wrapped_undefined(self):
        self.assertMissing('error',
                           'compute/manager.py:124 errors_out_migration_ctxt '
                           'via _do_prep_resize (:5997)',
                           '_do_prep_resize (run inside '
                           'errors_out_migration_ctxt) is not defined')

    def test_every_part_is_checked(self):
        report = self.report(move(
            'migrating', 'S: compute/manager.py:1 _resize_instance; prose '
            'only; T: compute/manager.py:2 _finish_resize (after x.py:3)'))
        self.assertEqual(2, report.checked)
        self.assertEqual(1, report.held)


class TestReleaseNotes(FakeSdist):

    series = 31

    def test_note_where_replaces_the_citation(self):
        where = definitions.Where(
            'compute/manager.py:1 _do_prep_resize',
            definitions.ReleaseNote(
                (31, 32), 'older', 'compute/manager.py:1 _resize_instance'))
        report = self.report(move('migrating', where))
        self.assertEqual((1, 1, []), (report.checked, report.held,
                                      report.missing))

    def test_note_for_another_series_is_ignored(self):
        where = definitions.Where(
            'compute/manager.py:1 _do_prep_resize',
            definitions.ReleaseNote(
                (33,), 'older', 'compute/manager.py:1 _resize_instance'))
        self.assertEqual(1, len(self.report(move('migrating',
                                                 where)).missing))

    def test_declared_absent(self):
        where = definitions.Where(
            'compute/manager.py:1 _gone',
            definitions.ReleaseNote((31,), 'the driver never raises'))
        report = self.report(move('error', where), move(
            'migrating', 'compute/manager.py:1 _resize_instance'))
        self.assertEqual(['test edge from -> error: the driver never raises'],
                         report.absent)
        self.assertTrue(report.ok)


class TestCommandLine(FakeSdist):

    def main(self, *argv):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = citations.main(list(argv))
        return code, out.getvalue(), err.getvalue()

    def test_nothing_checked(self):
        report = self.report()
        self.assertFalse(report.ok)
        self.assertIn('  nothing was checked', report.lines())

    def test_real_definitions_against_the_fake_fail(self):
        code, out, err = self.main('--sdist', self.sdist)
        self.assertEqual(1, code)
        self.assertIn('MISSING: ', out)
        self.assertEqual('', err)

    def test_no_sdist(self):
        code, out, err = self.main('--sdist', self.sdist + '-nowhere')
        self.assertEqual((2, ''), (code, out))
        self.assertEqual(1, len(err.splitlines()))
        self.assertIn('has no nova/ directory', err)

    def test_bad_version(self):
        code, out, err = self.main('--version', '34.0.0; rm')
        self.assertEqual(2, code)
        self.assertEqual("citations: not a Nova version: '34.0.0; rm'\n",
                         err)

    def test_nothing_asked(self):
        self.assertEqual(2, self.main()[0])


class TestDefinitions(unittest.TestCase):

    def test_every_move_cites_a_function(self):
        for m in citations.moves():
            self.assertTrue(citations.parse_where(m.where), m)

    def test_declared_releases(self):
        # The releases issue 17 names, with their OpenStack names.
        self.assertEqual(
            [(31, True), (32, False), (33, True), (34, False)],
            [(r.series, r.slurp) for r in definitions.RELEASES])
