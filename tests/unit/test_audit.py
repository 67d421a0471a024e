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

"""The audit on SQLite seeded with good and bad rows, and at scale."""

import datetime
import io
import json
import os
import subprocess
import sys
import tracemalloc

import fixtures
from oslo_config import cfg
from oslo_upgradecheck import upgradecheck as oslo_upgradecheck
from oslo_utils import timeutils
import sqlalchemy as sa
import testtools

from nova_migration_sm.cmd import cli
from nova_migration_sm import conf as sm_conf
from nova_migration_sm.operators import audit
from nova_migration_sm.operators import auditdb
from nova_migration_sm.operators import dburl
from nova_migration_sm.operators import upgradecheck
from nova_migration_sm.reference.db import models
from nova_migration_sm.statuses import MigrationStatus as S
from nova_migration_sm.statuses import MigrationType as T

DAY = datetime.timedelta(days=1)
GOOD_PER_TYPE = 20


class Seeder:
    """Rows for a ``migrations`` table; ``bad`` adds every finding."""

    def __init__(self, now: datetime.datetime) -> None:
        self.now = now
        self.rows: list[dict] = []

    def add(self, migration_type, status, age=datetime.timedelta(0),
            cross_cell=False, resize=False, source='compute-1', deleted=0):
        row_id = len(self.rows) + 1
        when = self.now - age
        self.rows.append(dict(
            id=row_id, uuid='a0000000-0000-4000-8000-%012d' % row_id,
            migration_type=migration_type, status=status,
            cross_cell_move=cross_cell, old_instance_type_id=1,
            new_instance_type_id=2 if resize else 1, source_compute=source,
            instance_uuid='b0000000-0000-4000-8000-%012d' % row_id,
            created_at=when, updated_at=when, deleted=deleted, hidden=False))
        return row_id

    def good(self, count: int = GOOD_PER_TYPE) -> 'Seeder':
        """Finished migrations of every type, and fresh ones in flight."""
        for _ in range(count):
            self.add(T.MIGRATION, S.CONFIRMED, age=90 * DAY)
            self.add(T.RESIZE, S.REVERTED, age=90 * DAY, resize=True)
            self.add(T.LIVE_MIGRATION, S.COMPLETED, age=90 * DAY)
            self.add(T.EVACUATION, S.COMPLETED, age=90 * DAY)
        self.add(T.LIVE_MIGRATION, S.RUNNING)
        self.add(T.RESIZE, S.FINISHED, resize=True, cross_cell=True)
        self.add(T.EVACUATION, S.DONE, source='compute-back-soon')
        return self

    def bad(self, unknown_type: bool = True) -> 'Seeder':
        """Every finding: unknown, impossible, NULL type, stuck, done."""
        self.add(T.MIGRATION, 'migrated')
        self.add(T.RESIZE, 'migrated', resize=True)
        self.add(T.LIVE_MIGRATION, None)
        self.add(T.LIVE_MIGRATION, S.FINISHED)
        self.add(T.EVACUATION, S.CONFIRMED)
        self.add(T.MIGRATION, S.RUNNING_POST_COPY, age=40 * DAY)
        # NULL types: Nova infers resize when the flavor changed.
        self.add(None, S.CONFIRMED, resize=True)
        self.add(None, S.FINISHED, age=30 * DAY)
        self.add(None, S.QUEUED)
        # Stuck: not terminal and older than the threshold, oldest first.
        self.add(T.LIVE_MIGRATION, S.RUNNING, age=30 * DAY)
        self.add(T.LIVE_MIGRATION, S.RUNNING, age=20 * DAY)
        self.add(T.LIVE_MIGRATION, S.QUEUED, age=50 * DAY)
        self.add(T.RESIZE, S.MIGRATING, age=10 * DAY, resize=True)
        self.add(T.MIGRATION, S.FINISHED, age=12 * DAY, cross_cell=True)
        # Evacuations whose source compute never came back.
        self.add(T.EVACUATION, S.DONE, age=60 * DAY, source='dead-1')
        self.add(T.EVACUATION, S.DONE, age=61 * DAY, source='dead-1')
        self.add(T.EVACUATION, S.DONE, age=9 * DAY, source='dead-2')
        # Soft-deleted rows are skipped unless asked for.
        self.add(T.RESIZE, 'migrated', deleted=1)
        if unknown_type:
            self.add('shelve', S.ACCEPTED)
        return self

    def insert(self, engine: sa.Engine, table: str = 'migrations') -> None:
        metadata = sa.MetaData()
        source = models.Migration.__table__
        if table == source.name:
            target = source.to_metadata(metadata)
        else:
            # NOTE: a copy without Nova's indexes, whose names are taken.
            target = sa.Table(table, metadata, *(
                sa.Column(c.name, c.type, primary_key=c.primary_key)
                for c in source.columns))
        metadata.create_all(engine)
        if self.rows:
            with engine.begin() as connection:
                connection.execute(target.insert(), self.rows)


def counts(findings: dict) -> dict:
    return {key: group.rows for key, group in findings.items()}


def every_kind_of_row(now: datetime.datetime, types=T.ALL + (None, 'shelve'),
                      stale_after=7 * DAY) -> Seeder:
    """A row of each type, variant, status and age the audit tells apart.

    Statuses include NULL, misspellings, another case and a trailing
    space (MySQL's default collations ignore both); ages are just before
    and just after the threshold, far from it either way, and none.
    """
    seeder = Seeder(now)
    statuses = S.ALL + (None, 'migrated', 'Finished', 'done ', ' running')
    ages = (stale_after + datetime.timedelta(microseconds=1),
            stale_after - datetime.timedelta(microseconds=1),
            stale_after + datetime.timedelta(seconds=1), 90 * DAY,
            datetime.timedelta(0), None)
    for migration_type in types:
        for cross_cell in (False, True, None):
            for status in statuses:
                for age in ages:
                    row_id = seeder.add(migration_type, status,
                                        age=age or datetime.timedelta(0),
                                        cross_cell=cross_cell)
                    if age is None:
                        seeder.rows[row_id - 1].update(created_at=None,
                                                       updated_at=None)
    return seeder


def judged_in_python(engine: sa.Engine, now: datetime.datetime,
                     stale_after=7 * DAY) -> audit.AuditReport:
    """Every row through :func:`audit.check_rows`, none skipped by SQL."""
    report = audit.AuditReport(table='migrations',
                               stale_before=now - stale_after)
    migrations = auditdb.migrations_table()
    with engine.connect() as connection:
        rows = connection.execute(sa.select(*migrations.c).where(
            migrations.c.deleted == 0)).all()
    report.rows = len(rows)
    audit.check_rows(report, rows, audit.machine_tables())
    return report


def findings(report: audit.AuditReport) -> dict:
    """Every finding of a report, with its count and examples."""
    return {name: {key: (group.rows, group.examples)
                   for key, group in getattr(report, name).items()}
            for name in ('unknown_statuses', 'unknown_types', 'impossible',
                         'null_types', 'stuck', 'done_evacuations')}


class SkippedBySqlAssertions:
    """The database skips only rows the Python judge finds nothing in."""

    def assert_sql_skips_only_healthy_rows(self, engine, now, types):
        every_kind_of_row(now, types).insert(engine)
        expected = judged_in_python(engine, now)
        report = auditdb.audit_table(engine, now=now, batch_size=50)
        self.assertEqual(findings(expected), findings(report))
        self.assertEqual(expected.rows, report.rows)
        # NOTE: the database did skip rows: the terminal and recent ones.
        self.assertLess(report.read, report.rows)


class AuditAssertions:
    """Checks of a report of ``Seeder().good().bad()``; mixed into tests."""

    def assert_bad_rows_found(self, report, unknown_type=True):
        self.assertEqual({'migrated': 2, None: 1},
                         counts(report.unknown_statuses))
        self.assertEqual({'shelve': 1} if unknown_type else {},
                         counts(report.unknown_types))
        self.assertEqual({(T.LIVE_MIGRATION, False, S.FINISHED): 1,
                          (T.EVACUATION, False, S.CONFIRMED): 1,
                          (T.MIGRATION, False, S.RUNNING_POST_COPY): 1,
                          (T.MIGRATION, False, S.QUEUED): 1},
                         counts(report.impossible))
        self.assertEqual({(T.RESIZE, S.CONFIRMED): 1,
                          (T.MIGRATION, S.FINISHED): 1,
                          (T.MIGRATION, S.QUEUED): 1},
                         counts(report.null_types))
        self.assertEqual({(T.LIVE_MIGRATION, False, S.RUNNING): 2,
                          (T.LIVE_MIGRATION, False, S.QUEUED): 1,
                          (T.RESIZE, False, S.MIGRATING): 1,
                          (T.MIGRATION, True, S.FINISHED): 1,
                          (T.MIGRATION, False, S.FINISHED): 1},
                         counts(report.stuck))
        self.assertEqual({'dead-1': 2, 'dead-2': 1},
                         counts(report.done_evacuations))
        self.assertEqual(8 if unknown_type else 7, report.breaking)


class TestAudit(testtools.TestCase, AuditAssertions,
                SkippedBySqlAssertions):

    def setUp(self):
        super().setUp()
        self.now = datetime.datetime(2026, 1, 15, 12, 0, 0)
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'nova.sqlite')
        self.url = 'sqlite:///%s' % path
        self.engine = sa.create_engine(self.url)
        self.addCleanup(self.engine.dispose)

    def _audit(self, bind=None, **kwargs):
        kwargs.setdefault('stale_after', 7 * DAY)
        return auditdb.audit_table(bind or self.engine, now=self.now,
                                   **kwargs)

    def test_sql_skips_only_rows_without_findings(self):
        self.assert_sql_skips_only_healthy_rows(self.engine, self.now,
                                                T.ALL + (None, 'shelve'))

    def test_sql_skips_only_rows_without_findings_converted(self):
        # The command's engine has sqlite3 parse the timestamps (a
        # converter); the one above parses them in Python.
        engine = dburl.engine(sa.make_url(self.url), read_only=False)
        self.addCleanup(engine.dispose)
        self.assert_sql_skips_only_healthy_rows(engine, self.now,
                                                T.ALL + (None, 'shelve'))

    def test_timestamps_in_other_iso_forms(self):
        # Text Nova never writes, but another tool might: 'T', no
        # fraction, milliseconds. Stale ones are still stuck.
        Seeder(self.now).insert(self.engine)
        # NOTE: the day of the threshold: as text, 'T' sorts after ' '.
        stale = self.now - 7 * DAY - datetime.timedelta(hours=1)
        forms = (stale.isoformat(sep='T'), stale.isoformat(sep='T')[:19],
                 stale.isoformat(sep=' ', timespec='milliseconds'),
                 (self.now - 7 * DAY).isoformat(sep='T'))
        with self.engine.begin() as connection:
            for row_id, when in enumerate(forms, 1):
                connection.exec_driver_sql(
                    "INSERT INTO migrations (id, uuid, migration_type, "
                    "status, deleted, created_at, updated_at) VALUES "
                    "(?, ?, 'live-migration', 'running', 0, ?, ?)",
                    (row_id, 'u%d' % row_id, when, when))
        for engine in (self.engine, dburl.engine(sa.make_url(self.url))):
            report = self._audit(bind=engine)
            self.assertEqual({(T.LIVE_MIGRATION, False, S.RUNNING): 3},
                             counts(report.stuck))
            engine.dispose()

    def test_good_rows_find_nothing(self):
        Seeder(self.now).good().insert(self.engine)
        report = self._audit()
        self.assertEqual(4 * GOOD_PER_TYPE + 3, report.rows)
        # NOTE: the database judged every row: none was worth reading.
        self.assertEqual(0, report.read)
        self.assertEqual(0, report.breaking)
        self.assertEqual({}, report.stuck)
        self.assertEqual({}, report.done_evacuations)

    def test_bad_rows_found_grouped_and_counted(self):
        Seeder(self.now).good().bad().insert(self.engine)
        report = self._audit()
        self.assert_bad_rows_found(report)
        self.assertEqual(4 * GOOD_PER_TYPE + 3 + 18, report.rows)

    def test_stuck_oldest_first_with_examples(self):
        seeder = Seeder(self.now).bad()
        seeder.insert(self.engine)
        report = self._audit()
        running = report.stuck[(T.LIVE_MIGRATION, False, S.RUNNING)]
        self.assertEqual(self.now - 30 * DAY, running.oldest)
        listed = report.to_dict()['stuck']
        self.assertEqual(S.QUEUED, listed[0]['status'])
        self.assertEqual([S.QUEUED, S.RUNNING, S.FINISHED, S.FINISHED,
                          S.MIGRATING], [g['status'] for g in listed])
        self.assertEqual(2, len(listed[1]['examples']))

    def test_threshold_decides_what_is_stuck(self):
        Seeder(self.now).bad().insert(self.engine)
        report = self._audit(stale_after=45 * DAY)
        self.assertEqual({(T.LIVE_MIGRATION, False, S.QUEUED): 1},
                         counts(report.stuck))
        self.assertEqual({'dead-1': 2}, counts(report.done_evacuations))
        self.assertEqual(8, report.breaking)

    def test_deleted_rows_on_request(self):
        Seeder(self.now).bad().insert(self.engine)
        report = self._audit(include_deleted=True)
        self.assertEqual({'migrated': 3, None: 1},
                         counts(report.unknown_statuses))

    def test_examples_are_bounded(self):
        seeder = Seeder(self.now)
        for day in range(10):
            seeder.add(T.RESIZE, 'migrated', age=day * DAY, resize=True)
        seeder.insert(self.engine)
        group = self._audit().unknown_statuses['migrated']
        self.assertEqual(10, group.rows)
        self.assertEqual(audit.EXAMPLES, len(group.examples))
        self.assertEqual(self.now - 9 * DAY, group.oldest)

    def test_batch_size_below_one_is_refused(self):
        Seeder(self.now).good().insert(self.engine)
        for size in (0, -5):
            self.assertRaises(ValueError, self._audit, batch_size=size)

    def test_other_table(self):
        Seeder(self.now).bad().insert(self.engine, table='shadow_migrations')
        report = self._audit(table='shadow_migrations')
        self.assert_bad_rows_found(report)

    def _insert_many(self, rows: int, first: int = 1) -> None:
        """``rows`` rows, a quarter of each kind, through raw sqlite3."""
        if first == 1:
            Seeder(self.now).insert(self.engine)
        kinds = ((T.MIGRATION, S.CONFIRMED, 90, 1, 'compute-1'),
                 (T.LIVE_MIGRATION, S.RUNNING, 30, 1, 'compute-1'),
                 (T.EVACUATION, S.DONE, 30, 1, 'dead'),
                 (None, 'migrated', 0, 2, 'compute-1'))
        values = (
            (i, 'a0000000-0000-4000-8000-%012d' % i, kind[0], kind[1], 0, 1,
             kind[3], kind[4],
             str(self.now - kind[2] * DAY), str(self.now - kind[2] * DAY), 0)
            for i in range(first, first + rows) for kind in (kinds[i % 4],))
        raw = self.engine.raw_connection()
        try:
            raw.cursor().executemany(
                'INSERT INTO migrations (id, uuid, migration_type, status, '
                'cross_cell_move, old_instance_type_id, new_instance_type_id,'
                ' source_compute, created_at, updated_at, deleted) '
                'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', values)
            raw.commit()
        finally:
            raw.close()

    def test_streams_in_batches_with_bounded_memory(self):
        rows = 200_000
        self._insert_many(rows)
        sizes = []
        tracemalloc.start()
        try:
            report = self._audit(batch_size=1000,
                                 on_batch=lambda r: sizes.append(r.read))
            streamed_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        self.assertEqual(rows, report.rows)
        # NOTE: the database skips the quarter of confirmed migrations.
        judged = 3 * rows // 4
        self.assertEqual(judged, report.read)
        self.assertEqual(judged // 1000, report.batches)
        self.assertEqual(list(range(1000, judged + 1, 1000)), sizes)
        self.assertEqual({'migrated': rows // 4},
                         counts(report.unknown_statuses))
        self.assertEqual(rows // 4, report.stuck_rows)
        self.assertEqual(rows // 4, report.done_evacuation_rows)
        # NOTE: the rows as Python objects take about 170 MB (measured
        # with .all()); the audit holds one batch and a few examples.
        self.assertLess(streamed_peak, 8 * 1024 * 1024)

    def _listing_peak(self, *argv, command='audit') -> tuple[int, int]:
        """Peak Python memory of ``audit``, and the lines it wrote.

        The output itself is not kept.
        """
        sink = LineCounter()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', sink))
        tracemalloc.start()
        try:
            code = cli.main([command, '--db-url', self.url, '--progress',
                             'never'] + list(argv))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        self.assertEqual(1, code)
        return peak, sink.lines

    def test_json_listing_memory_does_not_grow_with_the_rows(self):
        # Three rows in four are findings, and the NULL-typed ones in an
        # unknown status are listed twice (null type, unknown status):
        # 2,000, then 20,000 entries.
        self._insert_many(2_000)
        json_ = ('--format', 'json')
        self._listing_peak(*json_)  # NOTE: the first run imports drivers.
        small, small_lines = self._listing_peak(*json_)
        self._insert_many(18_000, first=2_001)
        large, large_lines = self._listing_peak(*json_)
        # Each row listed is a JSON object of 8 keys: 10 lines.
        self.assertEqual(10 * 18_000, large_lines - small_lines)
        self.assertLess(large, small + 2 * 1024 * 1024)

    def test_table_listing_memory_does_not_grow_with_the_rows(self):
        self._insert_many(2_000)
        self._listing_peak('--all')
        small, small_lines = self._listing_peak('--all')
        self._insert_many(18_000, first=2_001)
        large, large_lines = self._listing_peak('--all')
        self.assertEqual(18_000, large_lines - small_lines)
        self.assertLess(large, small + 2 * 1024 * 1024)

    def test_repair_plan_memory_does_not_grow_with_the_rows(self):
        # A dry run: per four rows, one stuck live migration to change (a
        # JSON object of 9 keys, 11 lines) and one unknown status to
        # decide (8 keys, 10 lines); in the table, a line each.
        self._insert_many(2_000)
        for argv, lines in ((('--format', 'json'), 21), ((), 2)):
            self._listing_peak(*argv, command='repair')
            small, small_lines = self._listing_peak(*argv, command='repair')
            self._insert_many(18_000, first=2_001)
            large, large_lines = self._listing_peak(*argv, command='repair')
            self.assertEqual(lines * 18_000 // 4, large_lines - small_lines)
            self.assertLess(large, small + 2 * 1024 * 1024)
            self.engine.dispose()
            os.remove(self.url[len('sqlite:///'):])
            self._insert_many(2_000)


class LineCounter:
    """A text stream that counts the lines written to it, and keeps none."""

    def __init__(self) -> None:
        self.lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count('\n')
        return len(text)

    def flush(self) -> None:
        pass


class TestGroup(testtools.TestCase):

    def test_keeps_the_three_oldest_whatever_the_order(self):
        day = datetime.datetime(2026, 1, 1)
        rows = [(day + i % 4 * DAY, i, 'u%d' % i) for i in range(1, 9)]
        # (when, id): days 1,2,3,0,1,2,3,0 -> oldest (day 0, id 4), (day 0,
        # id 8), (day 1, id 1); a row with no time sorts first.
        for ordered in (rows, rows[::-1]):
            group = audit.Group()
            for when, row_id, uuid in ordered:
                group.add(when, row_id, uuid)
            self.assertEqual(8, group.rows)
            self.assertEqual([(day, 4, 'u4', False), (day, 8, 'u8', False),
                              (day + DAY, 1, 'u1', False)], group.examples)
        group.add(None, 99, 'u99', deleted=99)
        self.assertEqual([(datetime.datetime.min, 99, 'u99', True),
                          (day, 4, 'u4', False), (day, 8, 'u8', False)],
                         group.examples)


class TestParseDuration(testtools.TestCase):

    def test_units(self):
        self.assertEqual(datetime.timedelta(seconds=90),
                         audit.parse_duration('90s'))
        self.assertEqual(datetime.timedelta(minutes=30),
                         audit.parse_duration('30m'))
        self.assertEqual(datetime.timedelta(days=1, hours=12),
                         audit.parse_duration('1d12h'))
        self.assertEqual(datetime.timedelta(weeks=2),
                         audit.parse_duration('2w'))

    def test_invalid(self):
        for text in ('', 'soon', '7x', '-1d', '1.5d'):
            error = self.assertRaises(ValueError, audit.parse_duration, text)
            self.assertEqual('%r is not a duration; use e.g. 90s, 30m, 12h, '
                             '7d or 2w' % text, str(error))

    def test_a_number_needs_a_unit(self):
        # "7" read as 7 seconds reported minutes-old rows as stuck.
        for text in ('7', ' 7 ', '90'):
            error = self.assertRaises(ValueError, audit.parse_duration, text)
            number = text.strip()
            self.assertEqual(
                '%r has no unit; write %ss, %sm, %sh, %sd or %sw' % (
                    text, number, number, number, number, number),
                str(error))


class TestAuditCommand(testtools.TestCase):

    def setUp(self):
        super().setUp()
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'nova.sqlite')
        self.url = 'sqlite:///%s' % path
        engine = sa.create_engine(self.url)
        self.addCleanup(engine.dispose)
        self.seeder = Seeder(timeutils.utcnow()).good()
        self.engine = engine

    def _run(self, *argv):
        out = io.StringIO()
        err = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        code = cli.main(['audit', '--db-url', self.url, *argv])
        return code, out.getvalue(), err.getvalue()

    def test_clean_database_exits_zero(self):
        self.seeder.insert(self.engine)
        code, out, _ = self._run()
        self.assertEqual(0, code)
        self.assertIn('nothing would break', out)

    def test_bad_rows_exit_non_zero(self):
        self.seeder.bad().insert(self.engine)
        code, out, _ = self._run('--stale-after', '7d')
        self.assertEqual(1, code)
        self.assertIn('RESULT: 8 rows would break', out)
        self.assertIn("'migrated'", out)
        self.assertIn('dead-1', out)

    def test_stuck_only_exits_zero(self):
        self.seeder.add(T.LIVE_MIGRATION, S.RUNNING, age=30 * DAY)
        self.seeder.insert(self.engine)
        code, out, _ = self._run()
        self.assertEqual(0, code)
        self.assertIn('Stuck: not terminal', out)
        self.assertIn("live-migration  'running'  1", out)

    def test_json(self):
        self.seeder.bad().insert(self.engine)
        code, out, _ = self._run('--format', 'json', '--stale-after', '2w')
        self.assertEqual(1, code)
        data = json.loads(out)
        self.assertEqual({'databases': 1, 'not_checked': 0, 'shared': 0,
                          'rows': 101, 'breaking_under_strict': 8, 'stuck': 4,
                          'done_evacuations': 2}, data['total'])
        self.assertEqual(1, data['exit_status'])
        database, = data['databases']
        self.assertEqual(self.url, database['database'])
        self.assertEqual({'dead-1': 2}, {
            g['source_compute']: g['rows']
            for g in database['report']['done_evacuations']})

    def test_progress(self):
        # 83 good rows, none to judge row by row; the 18 bad ones are.
        self.seeder.bad().insert(self.engine)
        code, _, err = self._run('--progress', 'always', '--batch-size', '10')
        self.assertEqual(1, code)
        self.assertEqual('\r101 rows: 0 read to judge'
                         '\r101 rows: 10 read to judge'
                         '\r101 rows: 18 read to judge\n', err)

    def test_no_progress_when_not_a_terminal(self):
        self.seeder.insert(self.engine)
        self.assertEqual('', self._run('--batch-size', '10')[2])

    def test_missing_sqlite_file_exits_two_and_stays_missing(self):
        code, out, err = self._run()
        self.assertEqual(2, code)
        self.assertEqual('', out)
        self.assertEqual('nova-migration-sm audit: %s: no such SQLite file\n'
                         % self.url, err)
        self.assertFalse(os.path.exists(self.url[len('sqlite:///'):]))

    def test_opens_sqlite_read_only(self):
        self.seeder.insert(self.engine)
        path = self.url[len('sqlite:///'):]
        before = os.stat(path).st_mtime_ns, os.path.getsize(path)
        self.assertEqual(0, self._run('--format', 'json')[0])
        self.assertEqual(before, (os.stat(path).st_mtime_ns,
                                  os.path.getsize(path)))

        def delete():
            with dburl.connect(dburl.parse(self.url)) as connection:
                connection.exec_driver_sql('DELETE FROM migrations')

        error = self.assertRaises(dburl.CannotCheck, delete)
        self.assertEqual('%s: cannot read: attempt to write a readonly '
                         'database' % self.url, str(error))


def configured(enforcement: str) -> cfg.ConfigOpts:
    """A config of its own whose ``enforcement`` is this."""
    conf = cfg.ConfigOpts()
    sm_conf.register_opts(conf)
    conf([], project=None, default_config_files=[], default_config_dirs=[])
    conf.set_override('enforcement', enforcement,
                      group='migration_state_machine')
    return conf


class TestUpgradeCheck(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def _database(self, name, seeder):
        url = 'sqlite:///%s' % os.path.join(self.tmp, name)
        engine = sa.create_engine(url)
        seeder.insert(engine)
        engine.dispose()
        return url

    def test_codes(self):
        now = timeutils.utcnow()
        good = self._database('good', Seeder(now).good())
        stuck = Seeder(now).good()
        stuck.add(T.RESIZE, S.MIGRATING, age=30 * DAY, resize=True)
        stuck = self._database('stuck', stuck)
        bad = self._database('bad', Seeder(now).bad())
        code = oslo_upgradecheck.Code
        self.assertEqual(code.SUCCESS,
                         upgradecheck.check_migration_statuses([good]).code)
        result = upgradecheck.check_migration_statuses([good, stuck])
        self.assertEqual(code.WARNING, result.code)
        self.assertIn('1 migrations not terminal', result.details)
        # Rows that break under strict: something to do before strict
        # (Warning), refused moves if strict is on already (Failure).
        for enforcement, expected in (('warn', code.WARNING),
                                      ('strict', code.FAILURE)):
            result = upgradecheck.check_migration_statuses(
                [stuck, bad], conf=configured(enforcement))
            self.assertEqual(expected, result.code)
            self.assertIn('8 rows would break', result.details)

    def test_unreadable_cell_fails(self):
        url = 'sqlite:///%s' % os.path.join(self.tmp, 'missing')
        result = upgradecheck.check_migration_statuses([url])
        self.assertEqual(oslo_upgradecheck.Code.FAILURE, result.code)
        self.assertIn('%s could not be checked: %s: no such SQLite file'
                      % (url, url), result.details)

    def test_nothing_to_check_fails(self):
        result = upgradecheck.check_migration_statuses([])
        self.assertEqual(oslo_upgradecheck.Code.FAILURE, result.code)
        self.assertEqual('Nothing was checked: no database was given.',
                         result.details)

    def test_upgrade_commands(self):
        bad = self._database('bad', Seeder(timeutils.utcnow()).bad())
        out = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        # NOTE: oslo.upgradecheck's main() keeps the conf it parsed in a
        # module global (--json included); an earlier test's main() must
        # not decide this one's output.
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_upgradecheck.upgradecheck.CONF', None))
        checks = upgradecheck.MigrationStateMachineChecks(
            db_urls=[bad], conf=configured('strict'))
        self.assertEqual(oslo_upgradecheck.Code.FAILURE, checks.check())
        self.assertIn('Check: Migration statuses', out.getvalue())


class TestImportsNoObjects(testtools.TestCase):

    def test_audit_and_upgrade_check_register_no_objects(self):
        # They run inside nova-status; registering our reference Migration
        # there would clash with Nova's in the shared o.vo registry.
        code = ('import sys, nova_migration_sm.operators.upgradecheck, '
                'nova_migration_sm.operators.audit; '
                'print("nova_migration_sm.reference.objects" in sys.modules)')
        out = subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                             capture_output=True, text=True, check=True)
        self.assertEqual('False', out.stdout.strip())


class TestListings(testtools.TestCase):
    """Every affected row: in the JSON always, in the table with --all."""

    def setUp(self):
        super().setUp()
        self.now = timeutils.utcnow()
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'nova.sqlite')
        self.url = 'sqlite:///%s' % path
        seeder = Seeder(self.now)
        for day in range(50):
            seeder.add(T.RESIZE, 'finshed', age=day * DAY, resize=True)
        seeder.add(T.RESIZE, 'finshed', age=90 * DAY, resize=True,
                   deleted=51)
        engine = sa.create_engine(self.url)
        seeder.insert(engine)
        engine.dispose()

    def _audit(self, *argv):
        out = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        code = cli.main(['audit', '--db-url', self.url] + list(argv))
        return code, out.getvalue()

    def test_json_lists_every_row(self):
        code, out = self._audit('--format', 'json')
        self.assertEqual(1, code)
        database = json.loads(out)['databases'][0]
        group, = database['report']['unknown_statuses']
        self.assertEqual(50, group['rows'])
        self.assertEqual(3, len(group['examples']))
        self.assertEqual(list(range(50, 0, -1)),
                         [row['id'] for row in group['listed']])
        self.assertEqual({
            'cell': database['name'], 'id': 50,
            'uuid': 'a0000000-0000-4000-8000-000000000050',
            'migration_type': 'resize', 'cross_cell_move': False,
            'status': 'finshed', 'deleted': False,
            'updated_at': audit.iso(self.now - 49 * DAY)},
            group['listed'][0])

    def test_examples_only_keeps_the_json_to_the_oldest_rows(self):
        code, out = self._audit('--format', 'json', '--examples-only')
        self.assertEqual(1, code)
        group, = json.loads(out)['databases'][0]['report'][
            'unknown_statuses']
        self.assertEqual(50, group['rows'])
        self.assertEqual([50, 49, 48], [e['id'] for e in group['examples']])
        self.assertNotIn('listed', group)

    def test_table_keeps_examples_and_all_lists_every_row(self):
        _, out = self._audit()
        self.assertEqual(3, out.count('a0000000-'))
        _, out = self._audit('--all')
        self.assertEqual(3 + 50, out.count('a0000000-'))
        self.assertEqual(50, len([line for line in out.splitlines()
                                  if line.lstrip().startswith('id=')]))

    def test_deleted_rows_are_marked(self):
        _, out = self._audit('--include-deleted')
        self.assertIn('a0000000-0000-4000-8000-000000000051 (deleted)', out)
        _, out = self._audit('--include-deleted', '--format', 'json')
        listed = json.loads(out)['databases'][0]['report'][
            'unknown_statuses'][0]['listed']
        self.assertEqual([51], [r['id'] for r in listed if r['deleted']])
        self.assertTrue(listed[0]['deleted'])
