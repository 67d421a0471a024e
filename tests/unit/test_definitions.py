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

"""The per-release notes of the definitions."""

import testtools

from nova_migration_sm import definitions


class TestReleaseNotes(testtools.TestCase):

    def test_where_is_its_text(self):
        note = definitions.ReleaseNote((31,), 'older')
        where = definitions.Where('compute/manager.py:1 f', note)
        self.assertEqual('compute/manager.py:1 f', where)
        self.assertIsInstance(where, str)
        self.assertIs(note, definitions.release_note(where, 31))
        self.assertIsNone(definitions.release_note(where, 34))
        self.assertIsNone(definitions.release_note('plain', 31))

    def test_declared_notes(self):
        # Hand-written from Nova 31.3.1 to 33.0.2 (issue 17): no
        # _do_prep_resize before 34.0.0; 31.x's libvirt driver never
        # re-raises the migration thread's error.
        found = set()
        for d in definitions.DEFINITIONS:
            for src, dst, where in d.lifecycle:
                for note in getattr(where, 'releases', ()):
                    found.add((d.migration_types[0], d.cross_cell_move, src,
                               dst, note.series, note.where is None))
        self.assertEqual({
            ('migration', False, 'pre-migrating', 'error', (31, 32, 33),
             False),
            ('live-migration', False, 'failed', 'error', (31,), False),
            ('live-migration', False, 'cancelled', 'error', (31,), True),
        }, found)

    def test_notes_name_declared_releases(self):
        declared = {r.series for r in definitions.RELEASES}
        for d in definitions.DEFINITIONS:
            for _, _, where in d.lifecycle:
                for note in getattr(where, 'releases', ()):
                    self.assertLessEqual(set(note.series), declared)
