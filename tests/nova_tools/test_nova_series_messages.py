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

"""The Nova series' commit messages and who commits them."""

import importlib.util
import io
import os
import re
import subprocess
import sys

import fixtures
import testtools

from nova_migration_sm import statuses
from tests import nova_tools

messages = nova_tools.load('series_messages')

FOOTER = 'Partially-Implements: blueprint migration-state-machine'
LAST = 'Implements: blueprint migration-state-machine'
GOOD = ('Add MigrationStatus and check status moves\n'
        '\n'
        'A body of a few lines.\n'
        '\n'
        'UpgradeImpact\n'
        + FOOTER + '\n')


def _make_series():
    path = os.path.join(nova_tools.TOOLS, 'make-series.py')
    spec = importlib.util.spec_from_file_location('make_series', path)
    module = importlib.util.module_from_spec(spec)
    nova_tools.load('series_messages')  # puts tools/nova on sys.path
    spec.loader.exec_module(module)
    return module


class TestRules(testtools.TestCase):

    def test_a_good_message_passes(self):
        self.assertEqual([], messages.check(GOOD, last=False))
        self.assertEqual(('UpgradeImpact',), messages.flags(GOOD))

    def test_the_last_commit_implements_the_blueprint(self):
        last = GOOD.replace(FOOTER, LAST)
        self.assertEqual([], messages.check(last, last=True))
        self.assertEqual(
            ['the last line must be "%s"' % LAST], messages.check(
                GOOD, last=True))
        self.assertEqual(['the last line must be "%s"' % FOOTER],
                         messages.check(last, last=False))
        both = last.replace(LAST, FOOTER + '\n' + LAST)
        self.assertEqual(['"%s" belongs on every commit but the last'
                          % FOOTER], messages.check(both, last=True))

    def test_a_73_character_subject_fails(self):
        text = GOOD.replace('Add MigrationStatus and check status moves',
                            'x' * 73)
        self.assertEqual(['subject of 73 characters (at most 72)'],
                         messages.check(text, last=False))
        self.assertEqual([], messages.check(text.replace('x' * 73, 'x' * 72),
                                            last=False))

    def test_a_full_stop_and_a_missing_blank_line_fail(self):
        text = GOOD.replace('moves\n\n', 'moves.\nA body.\n', 1)
        self.assertEqual(['subject ends with a full stop',
                          'line 2 is not blank'],
                         messages.check(text, last=False))

    def test_a_73_column_body_line_fails_unless_a_url(self):
        text = GOOD.replace('A body of a few lines.', 'y' * 73)
        self.assertEqual(['line 3: 73 columns (at most 72)'],
                         messages.check(text, last=False))
        url = 'https://bugs.launchpad.net/nova/+bug/1764883 ' + 'z' * 40
        self.assertEqual([], messages.check(
            GOOD.replace('A body of a few lines.', url), last=False))

    def test_trailing_whitespace_fails(self):
        text = GOOD.replace('A body of a few lines.', 'A body. ')
        self.assertEqual(['line 3: trailing whitespace'],
                         messages.check(text, last=False))

    def test_a_flag_outside_the_footer_fails(self):
        text = GOOD.replace('A body of a few lines.', 'APIImpact')
        self.assertEqual(['APIImpact must be a line of its own in the '
                          'footer'], messages.check(text, last=False))
        self.assertEqual(('UpgradeImpact',), messages.flags(text))

    def test_a_flag_twice_fails(self):
        text = GOOD.replace('UpgradeImpact\n', 'UpgradeImpact\n' * 2)
        self.assertEqual(['UpgradeImpact appears 2 times'],
                         messages.check(text, last=False))

    def test_sign_off_and_change_id_are_not_written_by_hand(self):
        text = GOOD + 'Signed-off-by: A <a@b>\n'
        self.assertEqual([
            'line 7: Signed-off-by is added when committing, not written '
            'in the message',
            'the last line must be "%s"' % FOOTER],
            messages.check(text, last=False))

    def test_the_series_follows_the_rules(self):
        out = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.assertEqual(0, messages.main([]), out.getvalue())
        paths = messages.paths()
        self.assertGreaterEqual(len(paths), 4)
        with open(paths[-1]) as stream:
            self.assertEqual(LAST, stream.read().rstrip('\n').split('\n')[-1])

    def test_a_behaviour_change_needs_its_release_note(self):
        tmp = self.useFixture(fixtures.TempDir())
        path = tmp.join('05-x.txt')
        with open(path, 'w') as stream:
            stream.write(GOOD)
        self.assertEqual(['UpgradeImpact without a release note (05-*.yaml '
                          'beside the message)'],
                         messages.check_note(path, GOOD))
        docs = GOOD.replace('UpgradeImpact', 'DocImpact')
        self.assertEqual([], messages.check_note(path, docs))
        with open(tmp.join('04-other-0123456789abcdef.yaml'), 'w'):
            pass  # another commit's note does not count
        self.assertEqual(1, len(messages.check_note(path, GOOD)))
        with open(tmp.join('05-x-0123456789abcdef.yaml'), 'w'):
            pass
        self.assertEqual([], messages.check_note(path, GOOD))

    def test_the_series_has_seven_commits_with_their_notes(self):
        names = [os.path.basename(p)[:2] for p in messages.paths()]
        self.assertEqual(['01', '02', '03', '04', '05', '06', '07'], names)
        with_notes = [os.path.basename(p)[:2] for p in messages.paths()
                      if messages.notes(p)]
        # the post-copy fix, the machines, the upgrade check
        self.assertEqual(['04', '05', '06'], with_notes)

    def test_a_broken_message_fails_the_command(self):
        path = self.useFixture(fixtures.TempDir()).join('01-x.txt')
        with open(path, 'w') as stream:
            stream.write(GOOD.replace('moves\n', 'moves and much more than '
                                      'about fifty characters, too long\n'))
        out = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.assertEqual(1, messages.main([path]))
        self.assertIn('01-x.txt: the last line must be', out.getvalue())
        self.assertIn('01-x.txt: subject of 94 characters', out.getvalue())


class TestAuthor(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.home = self.useFixture(fixtures.TempDir()).path
        for name, value in (('HOME', self.home),
                            ('GIT_CONFIG_GLOBAL', os.devnull),
                            ('GIT_CONFIG_NOSYSTEM', '1')):
            self.useFixture(fixtures.EnvironmentVariable(name, value))

    def test_given_author(self):
        self.assertEqual(('Ada Lovelace', 'ada@example.org'),
                         messages.author('Ada Lovelace <ada@example.org>',
                                         self.home))

    def test_a_given_author_without_email_is_refused(self):
        error = self.assertRaises(messages.NoAuthor, messages.author,
                                  'Ada Lovelace', self.home)
        self.assertEqual("--author must be \"Name <email>\", got "
                         "'Ada Lovelace'", str(error))

    def test_git_config_of_the_repository(self):
        subprocess.run(['git', 'init', '-q', self.home], check=True)
        for key, value in (('user.name', 'Grace Hopper'),
                           ('user.email', 'grace@example.org')):
            subprocess.run(['git', 'config', key, value], cwd=self.home,
                           check=True)
        self.assertEqual(('Grace Hopper', 'grace@example.org'),
                         messages.author(None, self.home))

    def test_no_identity_at_all_is_refused(self):
        error = self.assertRaises(messages.NoAuthor, messages.author, None,
                                  self.home)
        self.assertEqual('no author: set git config user.name and '
                         'user.email, or pass --author "Name <email>"',
                         str(error))

    def test_make_series_without_identity_exits_2_with_one_line(self):
        tarball = os.path.join(self.home, 'nova.tar.gz')
        out = os.path.join(self.home, 'out')
        open(tarball, 'w').close()
        env = dict(os.environ)
        env.pop('NOVA_SERIES_AUTHOR', None)
        result = subprocess.run(
            [sys.executable, os.path.join(nova_tools.TOOLS, 'make-series.py'),
             '--tarball', tarball, '--out', out, '--patch', tarball],
            cwd=self.home, env=env, capture_output=True, text=True)
        self.assertEqual(2, result.returncode)
        self.assertEqual('make-series: no author: set git config user.name '
                         'and user.email, or pass --author "Name <email>"\n',
                         result.stderr)
        self.assertFalse(os.path.exists(out))


class TestMakeSeries(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.make_series = _make_series()
        self.make_series.identity_env('Ada Lovelace', 'ada@example.org')

    def test_the_message_is_signed_off_by_the_author(self):
        text = self.make_series.message('02-rewrite-nova')
        self.assertEqual([FOOTER,
                          'Signed-off-by: Ada Lovelace <ada@example.org>'],
                         text.rstrip('\n').split('\n')[-2:])
        self.assertEqual('Ada Lovelace',
                         self.make_series.GIT_ENV['GIT_COMMITTER_NAME'])

    def test_broken_messages_stop_the_generation(self):
        tmp = self.useFixture(fixtures.TempDir())
        first, last = tmp.join('01-a.txt'), tmp.join('02-b.txt')
        with open(first, 'w') as stream:
            stream.write(GOOD)
        with open(last, 'w') as stream:
            stream.write(GOOD)  # Partially-Implements on the last commit
        for note in ('01-a-0123456789abcdef.yaml',
                     '02-b-0123456789abcdef.yaml'):
            open(tmp.join(note), 'w').close()  # UpgradeImpact's notes
        self.useFixture(fixtures.MockPatchObject(
            self.make_series.series_messages, 'paths',
            return_value=[first, last]))
        error = self.assertRaises(self.make_series.Failed,
                                  self.make_series.check_messages)
        self.assertEqual('commit messages break the rules: 02-b.txt: the '
                         'last line must be "%s"' % LAST, str(error))


class TestSplit(testtools.TestCase):
    """How the cumulative patch is split into the series' commits."""

    def setUp(self):
        super().setUp()
        self.make_series = _make_series()

    def test_the_patch_is_split_by_path(self):
        pieces = self.make_series.split_patch(
            os.path.join(nova_tools.TOOLS, 'nova-34.0.0.patch'))
        paths = {n: [path for path, _ in chunks]
                 for n, chunks in pieces.items()}
        # the enum's requirement, the upgrade check, the rest: machines
        self.assertEqual(['requirements.txt'], paths[1])
        self.assertEqual(['nova/cmd/status.py',
                          'nova/tests/unit/cmd/test_status.py'], paths[6])
        self.assertEqual([1, 5, 6], sorted(paths))
        self.assertIn('nova/objects/migration.py', paths[5])
        self.assertIn('nova/conf/migration_state_machine.py', paths[5])
        with open(os.path.join(nova_tools.TOOLS, 'nova-34.0.0.patch')) as f:
            self.assertEqual(f.read().count('diff --git '),
                             sum(len(p) for p in paths.values()))

    def test_a_commit_is_rebuilt_with_those_sharing_its_files(self):
        pieces = self.make_series.split_patch(
            os.path.join(nova_tools.TOOLS, 'nova-34.0.0.patch'))
        # 4 and 5 edit fields.py, where 1 adds the enum; 6 and 7 share
        # nothing with an earlier commit.
        self.assertEqual([[1, 4], [1, 4, 5], [6], [7]],
                         [self.make_series.redone(n, pieces)
                          for n in (4, 5, 6, 7)])

    def test_a_patch_without_a_diff_is_refused(self):
        path = self.useFixture(fixtures.TempDir()).join('empty.patch')
        with open(path, 'w') as stream:
            stream.write('nothing here\n')
        self.assertRaises(self.make_series.Failed,
                          self.make_series.split_patch, path)

    def test_the_edits_come_after_the_rewrites_in_commit_order(self):
        edits = nova_tools.load('series_edits').EDITS
        self.assertEqual([4, 5, 6, 7], [number for number, _, _ in edits])


class TestN376(testtools.TestCase):
    """The regex of the hacking check the series adds to Nova."""

    def setUp(self):
        super().setUp()
        edits = nova_tools.load('series_edits')
        namespace = {'re': re, 'migration_statuses': statuses}
        exec(edits.CHECK_RE, namespace)
        self.regex = namespace['migration_status_literal_re']

    def test_a_migration_status_literal_is_found(self):
        for line in ("migration.status = 'running (post-copy)'",
                     'if mig.status != "confirmed":',
                     "self.migration['status'] = 'error'",
                     "objects.Migration(status='accepted')",
                     "db.migration_update(ctxt, 1, {'status': 'queued'})"):
            self.assertIsNotNone(self.regex.search(line), line)

    def test_other_objects_statuses_and_constants_are_not(self):
        for line in ("migration.status = fields.MigrationStatus.RUNNING",
                     "instance.vm_state = 'error'",
                     "mock.Mock(status='completed')",
                     "volume_info = {'status': 'error'}",
                     "migration.status = 'in-use'"):
            self.assertIsNone(self.regex.search(line), line)
