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

"""The spec follows nova-specs' 2027.1 template (``tox -e nova-spec``).

With ``NOVA_SPECS_DIR`` set to a nova-specs checkout (a work tree, or a
git directory such as a mirror), the transcription of the template is
compared with the real one and nova-specs' own ``tests/test_titles.py``
runs on the spec, in a temporary copy of the checkout.
"""

import io
import os
import shutil
import subprocess
import sys
import tarfile

import fixtures
import testtools
from testtools import matchers

import check_spec

NOVA_SPECS_DIR = os.environ.get('NOVA_SPECS_DIR')
RELEASE = '2027.1'

# A spec with every section of the 2027.1 template, typed by hand (not
# from check_spec.TEMPLATE); each test below breaks one rule of it.
MINIMAL = '''\
==========
An example
==========

https://blueprints.launchpad.net/nova/+spec/example

Problem description
===================

None.

Use Cases
---------

None.

Proposed change
===============

None.

Alternatives
------------

None.

Data model impact
-----------------

None.

REST API impact
---------------

None.

Security impact
---------------

None.

Notifications impact
--------------------

None.

Other end user impact
---------------------

None.

Performance Impact
------------------

None.

Other deployer impact
---------------------

None.

Developer impact
----------------

None.

Upgrade impact
--------------

None.

Implementation
==============

Assignee(s)
-----------

None.

Feature Liaison
---------------

None.

Work Items
----------

None.

Dependencies
============

None.

Testing
=======

None.

Documentation Impact
====================

None.

References
==========

None.

History
=======

None.
'''
LINE_NUMBER = 10  # the line of the first 'None.'
TESTING_UNDERLINE = 96  # the underline of the title 'Testing'


def _replace(old: str, new: str) -> str:
    assert old in MINIMAL, old
    return MINIMAL.replace(old, new, 1)


class TestTheSpec(testtools.TestCase):

    def test_the_spec_follows_the_template(self):
        with open(check_spec.SPEC, encoding='utf-8', newline='') as stream:
            self.assertEqual([], check_spec.check(stream.read()))

    def setUp(self):
        super().setUp()
        self.out = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', self.out))

    def test_the_command_passes_on_the_spec(self):
        self.assertEqual(0, check_spec.main([check_spec.SPEC]))
        self.assertEqual('%s: follows the 2027.1 template\n'
                         % check_spec.SPEC, self.out.getvalue())

    def test_the_command_fails_on_a_broken_copy(self):
        with open(check_spec.SPEC, encoding='utf-8') as stream:
            text = stream.read()
        broken = text.replace('\nPerformance Impact\n', '\nPerformance\n', 1)
        path = self.useFixture(fixtures.TempDir()).join('broken.rst')
        with open(path, 'w', encoding='utf-8') as stream:
            stream.write(broken)
        self.assertEqual(1, check_spec.main([path]))
        self.assertEqual(
            "%s:section 'Proposed change' misses subsections: "
            "Performance Impact\n%s: FAILED, 1 problem(s)\n" % (path, path),
            self.out.getvalue())

    def test_a_missing_file_is_bad_input(self):
        err = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        self.assertEqual(2, check_spec.main(['/nonexistent/spec.rst']))
        self.assertEqual('check_spec: cannot read /nonexistent/spec.rst: '
                         'No such file or directory\n', err.getvalue())
        self.assertEqual('', self.out.getvalue())


class TestTheRules(testtools.TestCase):

    def test_the_minimal_spec_is_clean(self):
        self.assertEqual([], check_spec.check(MINIMAL))

    def test_an_80_column_line_fails(self):
        text = _replace('None.\n', 'word ' * 15 + 'abcde\n')
        self.assertEqual(['%d: 80 columns (at most 79)' % LINE_NUMBER],
                         check_spec.check(text))

    def test_79_columns_pass(self):
        text = _replace('None.\n', 'word ' * 15 + 'abcd\n')
        self.assertEqual([], check_spec.check(text))

    def test_long_urls_literal_blocks_and_single_words_pass(self):
        text = _replace('None.\n', (
            'See https://example.org/' + 'a' * 80 + ' for it.\n\n'
            'A block::\n\n    ' + ' '.join(['word'] * 20) + '\n\n'
            + 'x' * 90 + '\n'))
        self.assertEqual([], check_spec.check(text))

    def test_a_long_line_after_a_literal_block_fails(self):
        text = _replace('None.\n', (
            'A block::\n\n    code\n\n' + ' '.join(['words'] * 14) + '\n'))
        self.assertEqual(['%d: 83 columns (at most 79)' % (LINE_NUMBER + 4)],
                         check_spec.check(text))

    def test_trailing_whitespace_fails(self):
        for tail in (' ', '\t'):
            text = _replace('None.\n', 'None.' + tail + '\n')
            self.assertEqual(['%d: trailing whitespace' % LINE_NUMBER],
                             check_spec.check(text))

    def test_a_carriage_return_and_a_zero_width_space_fail(self):
        text = _replace('None.\n', 'None.\r\nNo\u200bne.\n')
        self.assertEqual(['%d: carriage return' % LINE_NUMBER,
                          '%d: zero-width space' % (LINE_NUMBER + 1)],
                         check_spec.check(text))

    def test_a_missing_subsection_fails(self):
        text = _replace('Security impact\n---------------\n\nNone.\n\n', '')
        self.assertEqual(
            ["section 'Proposed change' misses subsections: "
             "Security impact"], check_spec.check(text))

    def test_a_renamed_section_fails(self):
        text = _replace('Testing\n=======', 'Tests\n=====')
        self.assertEqual(['missing sections: Testing',
                          'sections not in the template: Tests'],
                         check_spec.check(text))

    def test_a_subsection_promoted_to_a_section_fails(self):
        text = _replace('Work Items\n----------', 'Work Items\n==========')
        self.assertEqual(
            ['sections not in the template: Work Items',
             "section 'Implementation' misses subsections: Work Items"],
            check_spec.check(text))

    def test_extra_subsections_and_the_optional_parts_pass(self):
        text = _replace('Use Cases\n---------\n\nNone.\n',
                        'Use Cases\n---------\n\nNone.\n\n'
                        'More cases\n----------\n\nNone.\n')
        text = text.replace('Feature Liaison\n---------------\n\nNone.\n\n',
                            '')
        text = text[:text.index('History\n')]
        self.assertEqual([], check_spec.check(text))

    def test_broken_rst_fails(self):
        text = _replace('Testing\n=======', 'Testing\n====')
        self.assertEqual(['%d: rst warning: Title underline too short.'
                          % TESTING_UNDERLINE], check_spec.check(text))

    def test_an_unknown_directive_fails(self):
        text = _replace('None.\n', '.. no-such-directive::\n')
        self.assertThat(check_spec.check(text), matchers.MatchesAll(
            matchers.HasLength(1), matchers.AllMatch(matchers.Contains(
                'rst error: Unknown directive type "no-such-directive"'))))


def _nova_specs_copy(destination: str) -> None:
    """Copy NOVA_SPECS_DIR (work tree or git directory) to destination."""
    if os.path.isdir(os.path.join(NOVA_SPECS_DIR, 'specs')):
        shutil.copytree(NOVA_SPECS_DIR, destination, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns('.git', '.tox'))
        return
    archive = subprocess.run(
        ['git', '--git-dir', NOVA_SPECS_DIR, 'archive', '--format=tar',
         'HEAD'], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter='data')


@testtools.skipUnless(NOVA_SPECS_DIR, 'NOVA_SPECS_DIR is not set')
class TestWithNovaSpecs(testtools.TestCase):
    """Against a nova-specs checkout: the real template and test."""

    def setUp(self):
        super().setUp()
        self.tree = self.useFixture(fixtures.TempDir()).path
        _nova_specs_copy(self.tree)

    def test_the_transcription_is_the_template(self):
        path = os.path.join(self.tree, 'specs', RELEASE + '-template.rst')
        with open(path, encoding='utf-8') as stream:
            document, _ = check_spec.check_rst(stream.read(), path)
        self.assertEqual(
            {name: list(subs) for name, subs in check_spec.TEMPLATE.items()},
            check_spec.title_tree(document))

    def test_nova_specs_test_titles_passes_on_the_spec(self):
        approved = os.path.join(self.tree, 'specs', RELEASE, 'approved')
        shutil.copy(check_spec.SPEC, approved)
        result = subprocess.run(
            [sys.executable, '-m', 'testtools.run', 'tests.test_titles'],
            cwd=self.tree, capture_output=True, text=True)
        self.assertEqual(0, result.returncode,
                         result.stdout[-3000:] + result.stderr[-3000:])
