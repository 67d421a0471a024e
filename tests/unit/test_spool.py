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

import datetime
import io
import json
import sqlite3
from unittest import mock

import testtools

from nova_migration_sm.operators import audit
from nova_migration_sm.operators.cannotcheck import CannotCheck
from nova_migration_sm.operators import spool

DAY = datetime.timedelta(days=1)
T0 = datetime.datetime(2026, 1, 1, 12, 0, 0, 5)


def row(row_id, updated_at, created_at=T0, status='running'):
    """A tuple of audit.COLUMNS."""
    return (row_id, 'u%d' % row_id, 'live-migration', status, False, 1, 1,
            'compute-1', created_at, updated_at, 0)


class TestSpool(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.spool = audit.listing_spool()
        self.addCleanup(self.spool.connection.close)

    def test_rows_come_back_whole_as_added_and_oldest_first(self):
        first, second = self.spool.listing(), self.spool.listing()
        added = [row(5, T0 + 2 * DAY), row(3, None, T0 + DAY),
                 row(9, T0 + DAY), row(1, None, None)]
        for each in added:
            first.append(each)
        # More rows than one write, in another group between.
        for number in range(spool.FLUSH_ROWS + 1):
            second.append(row(100 + number, T0))
        self.assertEqual(4, len(first))
        self.assertEqual(added, list(first))
        # By last change (updated_at, else created_at, else the oldest
        # possible), then id: written out by hand.
        self.assertEqual([row(1, None, None), row(3, None, T0 + DAY),
                          row(9, T0 + DAY), row(5, T0 + 2 * DAY)],
                         list(first.oldest_first()))
        self.assertEqual(spool.FLUSH_ROWS + 1, len(list(second)))

    def test_a_temporary_file_that_fails_is_one_line(self):
        listing = self.spool.listing()
        listing.append(row(1, T0))
        self.spool.connection = mock.Mock(**{
            'executemany.side_effect': sqlite3.OperationalError(
                'database or disk is full')})
        error = self.assertRaises(CannotCheck, list, listing)
        self.assertEqual(
            'cannot keep the rows listed in a temporary file: database or '
            'disk is full; set TMPDIR to a directory with room, or give '
            '--examples-only', str(error))


class TestDump(testtools.TestCase):

    def test_writes_what_json_dumps_writes(self):
        made = []

        def items():
            for number in range(3):
                made.append(number)
                yield {'id': number, 'status': 'ok'}

        data = {'a': [{'listed': spool.Rows(items, 3),
                       'none': spool.Rows(lambda: iter(()), 0)}],
                'b': None}
        out = io.StringIO()
        spool.dump(data, out)
        expected = json.dumps(
            {'a': [{'listed': [{'id': n, 'status': 'ok'} for n in range(3)],
                    'none': []}], 'b': None}, indent=2) + '\n'
        self.assertEqual(expected, out.getvalue())
        self.assertEqual([0, 1, 2], made)
