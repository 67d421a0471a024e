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

"""Tests for the move recorder of the Nova integration (no Nova needed)."""

import json
import os

import fixtures
import testtools

from nova_migration_sm.nova import recorder


class TestRecorder(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'moves.jsonl')

    def _lines(self) -> list[dict]:
        with open(self.path, encoding='utf-8') as f:
            return [json.loads(line) for line in f]

    def test_disabled_records_nothing(self):
        self.useFixture(fixtures.MonkeyPatch(
            'nova_migration_sm.nova.recorder._path', None))
        self.assertFalse(recorder.enabled())
        self.assertIsNone(recorder.record('save', 'resize', False,
                                          'finished', 'confirming', False))
        self.assertFalse(os.path.exists(self.path))

    def test_records_one_line_per_move_with_the_test_id(self):
        self.useFixture(fixtures.MonkeyPatch(
            'nova_migration_sm.nova.recorder._path', self.path))
        self.useFixture(fixtures.MonkeyPatch(
            'nova_migration_sm.nova.recorder._current_test', 'a.test'))
        first = recorder.record('create', 'evacuation', False, None,
                                'accepted', False)
        recorder.record('conflict', 'evacuation', False, 'pre-migrating',
                        'done', False, actual='completed', check=first)
        created, conflict = self._lines()
        self.assertEqual(
            {'id': first, 'test': 'a.test', 'op': 'create',
             'type': 'evacuation', 'cross_cell': False, 'from': None,
             'to': 'accepted', 'refused': False, 'nova': []}, created)
        self.assertEqual((first, 'completed'),
                         (conflict['check'], conflict['actual']))
        self.assertNotEqual(first, conflict['id'])
