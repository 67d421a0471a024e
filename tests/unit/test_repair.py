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

"""``repair`` on SQLite cells: the plan, the CAS, the journal and undo.

Expected plans are written out by hand from the rows the test seeds and
from what Nova does (an error end for a stuck migration, nothing for a
resize waiting in VERIFY_RESIZE), not computed by the code under test.
:class:`RepairScenarios` runs the same flows on any database URL; the
functional tests run them on PostgreSQL and MariaDB.
"""

import datetime
import json
import os

import fixtures
from oslo_utils import timeutils
import sqlalchemy as sa
import testtools

from nova_migration_sm import machines
from nova_migration_sm.operators import auditdb
from nova_migration_sm.operators import repair
from nova_migration_sm.statuses import MigrationStatus as S
from nova_migration_sm.statuses import MigrationType as T
from tests.unit import deployments
from tests.unit.test_audit import Seeder
from tests.unit.test_cli import CommandTestCase

DAY = datetime.timedelta(days=1)

# Each machine's in-progress statuses and the status a stuck row of it
# ends in, read off the definitions' error edges by hand (None: none).
ENDS = {
    (T.MIGRATION, False): {S.PRE_MIGRATING: S.ERROR, S.MIGRATING: S.ERROR,
                           S.POST_MIGRATING: S.ERROR, S.FINISHED: S.ERROR,
                           S.CONFIRMING: S.ERROR, S.REVERTING: S.ERROR},
    (T.MIGRATION, True): {S.PRE_MIGRATING: S.ERROR, S.MIGRATING: S.ERROR,
                          S.POST_MIGRATING: S.ERROR, S.FINISHED: S.ERROR,
                          S.CONFIRMING: S.ERROR, S.REVERTING: S.ERROR},
    (T.LIVE_MIGRATION, False): {S.ACCEPTED: S.ERROR, S.QUEUED: S.ERROR,
                                S.PREPARING: S.ERROR, S.RUNNING: S.ERROR,
                                S.RUNNING_POST_COPY: S.ERROR},
    (T.EVACUATION, False): {S.ACCEPTED: S.ERROR, S.PRE_MIGRATING: S.ERROR,
                            S.DONE: None},
}


def uuid(row_id: int) -> str:
    return 'a0000000-0000-4000-8000-%012d' % row_id


class TestEnds(testtools.TestCase):

    def test_every_in_progress_status_ends_as_written_by_hand(self):
        for (migration_type, cross_cell), ends in ENDS.items():
            self.assertEqual(set(ends), set(machines.in_progress_statuses(
                migration_type, cross_cell)))
            for status, end in ends.items():
                self.assertEqual(end, repair.end_of(
                    migration_type, status, cross_cell), (migration_type,
                                                          status))

    def test_waiting_statuses(self):
        # compute/api.py:4135 confirm_resize and :4011 revert_resize look
        # the record up in finished; a cross-cell source row waits in
        # post-migrating.
        self.assertEqual((S.FINISHED,), machines.waiting_statuses(T.RESIZE))
        self.assertEqual((S.POST_MIGRATING, S.FINISHED),
                         machines.waiting_statuses(T.MIGRATION, True))
        self.assertEqual((), machines.waiting_statuses(T.LIVE_MIGRATION))

    def test_suggestions(self):
        self.assertEqual(S.FINISHED, repair.suggestion('finshed', T.RESIZE,
                                                       False))
        self.assertEqual(S.CONFIRMED, repair.suggestion('Confirmed',
                                                        T.RESIZE, False))
        self.assertEqual(S.COMPLETED, repair.suggestion(
            S.CONFIRMED, T.LIVE_MIGRATION, False, ends_only=True))
        self.assertEqual(S.ERROR, repair.suggestion('zzz', T.EVACUATION,
                                                    False))


class RepairScenarios:
    """Flows of ``repair`` on ``self.url`` (set by the test case)."""

    def seed(self, seeder) -> None:
        engine = sa.create_engine(self.url)
        try:
            seeder.insert(engine)
        finally:
            engine.dispose()

    def statuses(self) -> dict:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as connection:
                return dict(connection.execute(sa.text(
                    'SELECT id, status FROM migrations')).all())
        finally:
            engine.dispose()

    def set_status(self, row_id: int, status: str, deleted: int = 0) -> None:
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as connection:
                connection.execute(sa.text(
                    'UPDATE migrations SET status = :s, deleted = :d '
                    'WHERE id = :i'), dict(s=status, d=deleted, i=row_id))
        finally:
            engine.dispose()

    def stuck_cell(self) -> Seeder:
        """Rows 1-2 stuck live migrations, 3 stuck resize, 4-5 fresh."""
        seeder = Seeder(self.now)
        seeder.add(T.LIVE_MIGRATION, S.RUNNING, age=30 * DAY)
        seeder.add(T.LIVE_MIGRATION, S.QUEUED, age=9 * DAY)
        seeder.add(T.RESIZE, S.MIGRATING, age=10 * DAY, resize=True)
        seeder.add(T.LIVE_MIGRATION, S.RUNNING)
        seeder.add(T.LIVE_MIGRATION, S.COMPLETED, age=90 * DAY)
        return seeder

    def path(self, name: str) -> str:
        return os.path.join(self.useFixture(fixtures.TempDir()).path, name)

    def test_dry_run_writes_nothing_and_apply_ends_the_stuck_rows(self):
        self.seed(self.stuck_cell())
        before = self.statuses()
        code, out, err = self.run_cli('repair', '--db-url', self.url)
        self.assertEqual(1, code, err)
        self.assertEqual(before, self.statuses())
        for row_id in (1, 2, 3):
            self.assertIn(uuid(row_id), out.decode())
        journal = self.path('journal.jsonl')
        code, out, err = self.run_cli('repair', '--db-url', self.url,
                                      '--apply', '--journal', journal)
        self.assertEqual(0, code, out + err.encode())
        self.assertEqual({1: S.ERROR, 2: S.ERROR, 3: S.ERROR,
                          4: S.RUNNING, 5: S.COMPLETED}, self.statuses())
        with open(journal) as stream:
            entries = [json.loads(line) for line in stream]
        self.assertEqual([(1, uuid(1), S.RUNNING, S.ERROR),
                          (2, uuid(2), S.QUEUED, S.ERROR),
                          (3, uuid(3), S.MIGRATING, S.ERROR)],
                         sorted((e['id'], e['uuid'], e['before'], e['after'])
                                for e in entries))
        self.assertEqual(0, self.run_cli('repair', '--db-url', self.url)[0])

    def test_row_moved_between_plan_and_apply_is_skipped(self):
        self.seed(self.stuck_cell())
        plan = self.path('plan.json')
        code, _, err = self.run_cli('repair', '--db-url', self.url,
                                    '--plan', plan)
        self.assertEqual(1, code, err)
        # Nova's _post_live_migration completes row 1 after the plan.
        self.set_status(1, S.COMPLETED)
        # Row 2 is soft-deleted (Nova writes deleted = id).
        self.set_status(2, S.QUEUED, deleted=2)
        code, out, err = self.run_cli('repair', '--db-url', self.url,
                                      '--apply', '--plan', plan,
                                      '--format', 'json')
        self.assertEqual(1, code, err)
        result = json.loads(out)
        skipped = {o['change']['id']: o['reason']
                   for o in result['outcomes'] if not o['written']}
        self.assertEqual({1: "moved since: it holds 'completed', not "
                             "'running'",
                          2: 'the row was deleted since'}, skipped)
        self.assertEqual({1: S.COMPLETED, 2: S.QUEUED, 3: S.ERROR,
                          4: S.RUNNING, 5: S.COMPLETED}, self.statuses())

    def test_undo_skips_a_row_moved_since(self):
        self.seed(self.stuck_cell())
        journal = self.path('journal.jsonl')
        self.assertEqual(0, self.run_cli('repair', '--db-url', self.url,
                                         '--apply', '--journal',
                                         journal)[0])
        # The orphan cleanup periodic moves row 3 on: error -> failed.
        self.set_status(3, S.FAILED)
        code, out, err = self.run_cli('repair', '--db-url', self.url,
                                      '--undo', journal)
        self.assertEqual(1, code, err)
        self.assertIn("moved since: it holds 'failed', not 'error'",
                      out.decode())
        self.assertEqual({1: S.RUNNING, 2: S.QUEUED, 3: S.FAILED,
                          4: S.RUNNING, 5: S.COMPLETED}, self.statuses())
        # The rows undone are as they were: stuck for the same time.
        code, out, _ = self.run_cli('repair', '--db-url', self.url,
                                    '--format', 'json')
        self.assertEqual([1, 2], sorted(
            c['id'] for c in json.loads(out)['plan']['changes']))


class TestRepairOnSQLite(CommandTestCase, RepairScenarios):

    def setUp(self):
        super().setUp()
        self.now = timeutils.utcnow()
        self.url = 'sqlite:///%s' % self.path('cell.sqlite')

    def plan_of(self, seeder, maps=None, include_deleted=False):
        self.seed(seeder)
        audits = auditdb.audit_targets(
            [auditdb.Target.from_url(self.url)], stale_after=7 * DAY,
            include_deleted=include_deleted, list_rows=True)
        return repair.plan(audits, maps)

    def test_plan_of_every_finding(self):
        plan, deleted = self.plan_of(Seeder(self.now).good().bad())
        # Seeder.bad() rows, by id (good() adds 83 before them).
        self.assertEqual({
            93: (S.RUNNING, S.ERROR), 94: (S.RUNNING, S.ERROR),
            95: (S.QUEUED, S.ERROR), 96: (S.MIGRATING, S.ERROR)},
            {c.id: (c.from_status, c.to_status) for c in plan.changes})
        self.assertEqual({
            84: ('migrated', S.MIGRATING), 85: ('migrated', S.MIGRATING),
            86: (None, S.ERROR),
            87: (S.FINISHED, S.FAILED), 88: (S.CONFIRMED, S.COMPLETED),
            89: (S.RUNNING_POST_COPY, S.ERROR), 92: (S.QUEUED, S.ERROR),
            91: (S.FINISHED, None), 97: (S.FINISHED, None),
            102: (S.ACCEPTED, None)},
            {d.id: (d.status, d.suggestion) for d in plan.decisions})
        self.assertEqual(0, deleted)
        why = {d.id: d.why for d in plan.decisions}
        self.assertIn('confirm or revert', why[97])
        self.assertIn("type 'shelve'", why[102])

    def test_deleted_rows_are_never_planned(self):
        plan, deleted = self.plan_of(Seeder(self.now).bad(),
                                     include_deleted=True)
        self.assertEqual(1, deleted)
        self.assertNotIn(18, [d.id for d in plan.decisions])
        self.assertNotIn(18, [c.id for c in plan.changes])

    def test_maps_decide_unknown_and_impossible_statuses(self):
        maps = {(T.RESIZE, 'migrated'): S.ERROR,
                (T.LIVE_MIGRATION, None): S.ERROR,
                (T.EVACUATION, S.CONFIRMED): S.COMPLETED,
                (T.LIVE_MIGRATION, S.RUNNING): S.FAILED,
                (T.LIVE_MIGRATION, S.QUEUED): S.COMPLETED,
                (T.MIGRATION, S.FINISHED): S.ERROR}
        plan, _ = self.plan_of(Seeder(self.now).good().bad(), maps)
        changes = {c.id: (c.from_status, c.to_status) for c in plan.changes}
        self.assertEqual((S.CONFIRMED, S.COMPLETED), changes[88])
        self.assertEqual(('migrated', S.ERROR), changes[85])
        self.assertEqual((None, S.ERROR), changes[86])
        # The operator's choice among the moves the machine allows.
        self.assertEqual((S.RUNNING, S.FAILED), changes[93])
        # Waiting resizes end only by a map.
        self.assertEqual((S.FINISHED, S.ERROR), changes[97])
        self.assertEqual((S.FINISHED, S.ERROR), changes[91])
        # queued -> completed is no move of the machine: left to decide.
        self.assertNotIn(95, changes)
        self.assertIn("allows only preparing, cancelled, error from "
                      "'queued'", {d.id: d.why for d in plan.decisions}[95])
        # The migration type's map does not touch resize rows.
        self.assertNotIn(84, changes)

    def test_done_evacuations_are_left_without_a_map(self):
        # Rows 98-100: done evacuations from dead-1 and dead-2 (Seeder.bad).
        plan, _ = self.plan_of(Seeder(self.now).good().bad())
        planned = [c.id for c in plan.changes] + [
            d.id for d in plan.decisions]
        for row_id in (98, 99, 100):
            self.assertNotIn(row_id, planned)

    def test_a_map_completes_done_evacuations(self):
        plan, _ = self.plan_of(Seeder(self.now).good().bad(), {
            (T.EVACUATION, S.DONE): S.COMPLETED})
        changes = {c.id: c for c in plan.changes}
        for row_id in (98, 99, 100):
            self.assertEqual((S.DONE, S.COMPLETED), (
                changes[row_id].from_status, changes[row_id].to_status))
        self.assertIn('evacuated from dead-1', changes[98].why)
        # The fresh one from compute-back-soon is not past --stale-after.
        self.assertEqual(3, sum(c.from_status == S.DONE
                                for c in plan.changes))

    def test_a_done_evacuation_map_must_be_a_move_of_the_machine(self):
        plan, _ = self.plan_of(Seeder(self.now).good().bad(), {
            (T.EVACUATION, S.DONE): S.ACCEPTED})
        why = {d.id: d.why for d in plan.decisions}
        self.assertIn("but the machine allows only", why[98])
        self.assertNotIn(98, [c.id for c in plan.changes])

    def test_a_map_of_a_waiting_resize_must_be_a_move_of_the_machine(self):
        plan, _ = self.plan_of(Seeder(self.now).good().bad(), {
            (T.MIGRATION, S.FINISHED): S.PRE_MIGRATING})
        self.assertNotIn(91, [c.id for c in plan.changes])
        why = {d.id: d.why for d in plan.decisions}
        for row_id in (91, 97):
            self.assertIn("--map migration:finished=pre-migrating, but the "
                          "machine allows only confirming, confirmed, "
                          "reverting, error from 'finished'", why[row_id])

    def test_plan_file_round_trips(self):
        plan, _ = self.plan_of(Seeder(self.now).good().bad())
        self.assertEqual(plan, repair.Plan.from_dict(
            json.loads(json.dumps(plan.to_dict())), 'plan.json'))

    def test_nothing_to_do_exits_zero(self):
        self.seed(Seeder(self.now).good())
        code, out, _ = self.run_cli('repair', '--db-url', self.url)
        self.assertEqual(0, code)
        self.assertIn(b'RESULT: nothing to repair.', out)

    def test_decisions_left_exit_one_after_apply(self):
        self.seed(Seeder(self.now).bad())
        code, out, _ = self.run_cli('repair', '--db-url', self.url,
                                    '--apply')
        self.assertEqual(1, code)
        self.assertIn(b'rows to decide (--map TYPE:OLD=NEW)', out)

    def test_every_cell_of_a_config(self):
        folder = self.useFixture(fixtures.TempDir()).path
        urls = {name: 'sqlite:///%s' % os.path.join(folder, name + '.sqlite')
                for name in ('api', 'cell0', 'cell1')}
        deployments.cell_database(urls['cell0'], Seeder(self.now))
        deployments.cell_database(urls['cell1'], self.stuck_cell())
        deployments.api_database(urls['api'], (
            (deployments.CELL0_UUID, 'cell0', urls['cell0']),
            (deployments.CELL1_UUID, 'cell1', urls['cell1'])))
        conf = deployments.nova_conf(os.path.join(folder, 'nova.conf'),
                                     urls['api'])
        plan = os.path.join(folder, 'plan.json')
        code, out, err = self.run_cli('repair', '--config-file', conf,
                                      '--plan', plan)
        self.assertEqual(1, code, err)
        with open(plan) as stream:
            saved = json.load(stream)
        self.assertEqual({('cell1', deployments.CELL1_UUID)},
                         {(c['cell'], c['cell_uuid'])
                          for c in saved['changes']})
        code, out, err = self.run_cli('repair', '--config-file', conf,
                                      '--apply', '--plan', plan)
        self.assertEqual(0, code, err)
        # The same plan against another database is refused, unwritten.
        code, _, err = self.run_cli('repair', '--db-url', urls['cell1'],
                                    '--apply', '--plan', plan)
        self.assertEqual(2, code)
        self.assertIn(deployments.CELL1_UUID, err)

    def test_a_cell_not_checked(self):
        folder = self.useFixture(fixtures.TempDir()).path
        urls = {name: 'sqlite:///%s' % os.path.join(folder, name + '.sqlite')
                for name in ('api', 'cell1', 'cell2')}
        deployments.cell_database(urls['cell1'], self.stuck_cell())
        deployments.api_database(urls['api'], (
            (deployments.CELL1_UUID, 'cell1', urls['cell1']),
            (deployments.CELL2_UUID, 'cell2', urls['cell2'])))
        conf = deployments.nova_conf(os.path.join(folder, 'nova.conf'),
                                     urls['api'])
        self.url = urls['cell1']
        before = self.statuses()
        # The dry run shows cell1's plan and names cell2 on stderr.
        code, out, err = self.run_cli('repair', '--config-file', conf)
        self.assertEqual(2, code)
        self.assertIn(uuid(1), out.decode())
        self.assertIn('cell cell2: ', err)
        self.assertIn('no such SQLite file', err)
        # --apply writes nothing at all.
        code, out, err = self.run_cli('repair', '--config-file', conf,
                                      '--apply')
        self.assertEqual(2, code)
        self.assertEqual(b'', out)
        self.assertIn('nothing was written: cell cell2: ', err)
        self.assertEqual(before, self.statuses())

    def test_interrupted_apply_says_what_it_wrote(self):
        from nova_migration_sm import cas

        self.seed(self.stuck_cell())
        real, calls = cas.update_if_status, []

        def interrupted(*args, **kwargs):
            calls.append(args)
            if len(calls) == 2:
                raise KeyboardInterrupt()
            return real(*args, **kwargs)

        self.useFixture(fixtures.MonkeyPatch(
            'nova_migration_sm.cas.update_if_status', interrupted))
        journal = self.path('journal.jsonl')
        code, _, err = self.run_cli('repair', '--db-url', self.url,
                                    '--apply', '--journal', journal)
        self.assertEqual(2, code)
        self.assertEqual('nova-migration-sm repair: interrupted after 1 of 3 '
                         'changes written; %s records them\n' % journal, err)
        with open(journal) as stream:
            written, = [json.loads(line)['id'] for line in stream]
        expected = {1: S.RUNNING, 2: S.QUEUED, 3: S.MIGRATING,
                    4: S.RUNNING, 5: S.COMPLETED}
        expected[written] = S.ERROR
        self.assertEqual(expected, self.statuses())

    def test_bad_inputs_exit_two_and_write_nothing(self):
        self.seed(self.stuck_cell())
        before = self.statuses()
        folder = self.useFixture(fixtures.TempDir()).path
        garbage = os.path.join(folder, 'garbage.json')
        with open(garbage, 'w') as stream:
            stream.write('{"changes": []}')
        for argv, message in (
                (['--map', 'resize-finished'], 'is not TYPE:OLD=NEW'),
                (['--map', 'rezise:a=error'], "did you mean 'resize'"),
                (['--map', 'live-migration:running=confirmed'],
                 "'confirmed' is not a status of live-migration"),
                (['--journal', os.path.join(folder, 'j')],
                 'give it with --apply or --undo'),
                (['--undo', garbage, '--apply'], 'give it without'),
                (['--apply', '--plan', garbage],
                 'is not a plan saved by repair --plan'),
                (['--apply', '--plan', os.path.join(folder, 'missing')],
                 'No such file or directory'),
                (['--undo', garbage], 'not a journal entry'),
                (['--plan', os.path.join(folder, 'no', 'plan.json')],
                 'cannot write there')):
            code, out, err = self.run_cli('repair', '--db-url', self.url,
                                          *argv)
            self.assertEqual(2, code, argv)
            self.assertIn(message, err)
            self.assertEqual(1, len(err.splitlines()), err)
        self.assertEqual(before, self.statuses())
        self.assertEqual(['garbage.json'], os.listdir(folder))
