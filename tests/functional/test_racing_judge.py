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

"""The history judge of the racing writers, on hand-made histories.

No database and no library call: each figure of
:func:`tests.functional.racing.judge_history` is shown to count what it
says, and to stay 0 on a clean history.
"""

import testtools

from tests.functional import history
from tests.functional import racing

ROW = racing.Row(7, 'evacuation', False)
CREATED = history.Entry(1, 7, None, 'accepted', racing.CREATED_TAG, 0)


def attempt(tag, seen, target, outcome=racing.WRITTEN, mark=None,
            view=racing.FRESH):
    return racing.Attempt(tag, mark if mark is not None else len(tag),
                          ROW.id, view, seen, target, outcome)


def entry(seq, old, new, by):
    return history.Entry(seq, ROW.id, old, new, by.tag, by.mark)


class TestJudgeHistory(testtools.TestCase):

    def judge(self, entries, attempts, final=None):
        last = entries[-1]
        final = final or {ROW.id: (last.new, last.tag, last.mark)}
        return racing.judge_history([ROW], entries, attempts, final, 2)

    def test_clean_history_with_a_stale_race(self):
        # Bug 1764883: the source compute restarts and writes completed;
        # the destination, which saw pre-migrating, writes done.
        source = attempt('w0.1', 'accepted', 'completed')
        destination = attempt('w1.1', 'pre-migrating', 'done',
                              view=racing.STALE)
        refused = attempt('w0.2', 'completed', 'accepted', racing.REFUSED)
        conflict = attempt('w1.2', 'accepted', 'pre-migrating',
                           racing.CONFLICT)
        report = self.judge(
            [CREATED, entry(2, 'accepted', 'completed', source),
             entry(3, 'completed', 'done', destination)],
            [source, destination, refused, conflict])
        self.assertEqual([], report.problems)
        self.assertEqual(
            dict(writers=2, rounds=0, attempts=4, written=2, refused=1,
                 conflicts=1, errors=0, deadlocks_surfaced=0,
                 certification_failures=0, lifecycle_moves=1, race_moves=1,
                 same_value=0,
                 illegal_persisted=0, lost_updates=0,
                 unacknowledged_writes=0, wrong_outcomes=0,
                 broken_histories=0),
            report.figures())

    def test_fresh_writer_leaving_a_terminal_status_is_illegal(self):
        source = attempt('w0.1', 'accepted', 'completed')
        fresh = attempt('w1.1', 'completed', 'pre-migrating')
        report = self.judge(
            [CREATED, entry(2, 'accepted', 'completed', source),
             entry(3, 'completed', 'pre-migrating', fresh)],
            [source, fresh])
        self.assertEqual(1, report.illegal_persisted)
        self.assertIn("'completed' -> 'pre-migrating' by w1.1",
                      report.problems[0])

    def test_stale_writer_outside_the_declared_races_is_illegal(self):
        failed = attempt('w0.1', 'accepted', 'failed')
        stale = attempt('w1.1', 'accepted', 'pre-migrating',
                        view=racing.STALE)
        report = self.judge(
            [CREATED, entry(2, 'accepted', 'failed', failed),
             entry(3, 'failed', 'pre-migrating', stale)],
            [failed, stale])
        self.assertEqual(1, report.illegal_persisted)

    def test_unseen_writer_is_judged_from_what_the_row_held(self):
        # An old sender never saw the status: lifecycle or race from the
        # persisted one, nothing else.
        source = attempt('w0.1', 'accepted', 'completed')
        race = attempt('w1.1', racing.UNKNOWN, 'done', view=racing.UNSEEN)
        back = attempt('w0.2', racing.UNKNOWN, 'accepted',
                       view=racing.UNSEEN)
        report = self.judge(
            [CREATED, entry(2, 'accepted', 'completed', source),
             entry(3, 'completed', 'done', race),
             entry(4, 'done', 'accepted', back)],
            [source, race, back])
        self.assertEqual((1, 1, 1), (report.lifecycle_moves,
                                     report.race_moves,
                                     report.illegal_persisted))

    def test_created_in_a_status_that_is_not_initial(self):
        report = self.judge(
            [history.Entry(1, 7, None, 'done', racing.CREATED_TAG, 0)], [])
        self.assertEqual(1, report.illegal_persisted)

    def test_acknowledged_write_missing_from_the_history_is_lost(self):
        lost = attempt('w0.1', 'accepted', 'pre-migrating')
        report = self.judge([CREATED], [lost])
        self.assertEqual(1, report.lost_updates)

    def test_write_with_another_value_than_acknowledged_is_lost(self):
        wrote = attempt('w0.1', 'accepted', 'pre-migrating', mark=5)
        landed = history.Entry(2, 7, 'accepted', 'pre-migrating', 'w0.1',
                               6)
        report = self.judge([CREATED, landed], [wrote])
        self.assertEqual(1, report.lost_updates)

    def test_row_that_does_not_hold_its_last_write_lost_it(self):
        wrote = attempt('w0.1', 'accepted', 'pre-migrating')
        report = self.judge(
            [CREATED, entry(2, 'accepted', 'pre-migrating', wrote)], [wrote],
            final={ROW.id: ('accepted', racing.CREATED_TAG, 0)})
        self.assertEqual(1, report.lost_updates)

    def test_write_the_caller_was_told_failed(self):
        told = attempt('w0.1', 'accepted', 'pre-migrating', racing.CONFLICT)
        report = self.judge(
            [CREATED, entry(2, 'accepted', 'pre-migrating', told)], [told])
        self.assertEqual(1, report.unacknowledged_writes)

    def test_refusal_of_a_legal_move_and_conflict_of_an_illegal_one(self):
        report = self.judge([CREATED], [
            attempt('w0.1', 'accepted', 'pre-migrating', racing.REFUSED),
            attempt('w1.1', 'accepted', 'done', racing.CONFLICT)])
        self.assertEqual(2, report.wrong_outcomes)

    def test_history_out_of_order(self):
        first = attempt('w0.1', 'accepted', 'pre-migrating')
        second = attempt('w1.1', 'pre-migrating', 'done')
        report = self.judge(
            [CREATED, entry(2, 'pre-migrating', 'done', second),
             entry(3, 'accepted', 'pre-migrating', first)],
            [first, second])
        self.assertEqual(2, report.broken_histories)

    def test_error_outcomes_are_counted(self):
        report = self.judge([CREATED], [
            attempt('w0.1', 'accepted', 'done', 'error: DBError')])
        self.assertEqual(1, report.errors)
        self.assertEqual(0, report.deadlocks_surfaced)

    def test_deadlock_reaching_the_caller_is_an_error(self):
        # Galera: a certification failure no retry absorbed.
        report = self.judge([CREATED], [
            attempt('w0.1', 'accepted', 'done', 'error: DBDeadlock')])
        self.assertEqual((1, 1), (report.errors, report.deadlocks_surfaced))
