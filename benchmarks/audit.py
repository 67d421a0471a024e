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

"""The audit at scale, against the limit: a loop that reads and does nothing.

One ``migrations`` table of N rows (Nova's schema), on an SQLite file and
on PostgreSQL (a database oslo.db provisions on the server
``OS_TEST_DBAPI_ADMIN_CONNECTION`` names), read by

* ``audit``: ``nova-migration-sm audit --db-url URL --format json`` as an
  operator runs it (``cli.main``);
* ``plain``, the limit: the driver alone, a loop over the same columns
  with the same ``WHERE deleted = 0`` and ``fetchmany()`` of the same
  batch size, doing nothing with the rows: ``sqlite3`` on SQLite, a
  psycopg2 named (server-side) cursor on PostgreSQL.

Two mixes of rows (:data:`MIXES`): ``cloud``, a cloud's table, where one
row in twenty is a finding (done evacuations waiting for a dead host,
stuck and failed migrations), and ``worst``, where three rows in four
are.

Each run is a process of its own (a fresh interpreter); its peak RSS is
``VmHWM`` of ``/proc/self/status`` (Linux's ``ru_maxrss`` would start at
the RSS of the parent that forked it). The time is the scan's, from
connecting to the last row; imports are done before. The runs alternate
(plain, audit, audit, plain...) and the ratio is the median of the
rounds' ratios. Peak memory is measured at N and at N/10 rows: the
audit's must not grow with the table.

Cells: eight SQLite cell databases, the largest of N rows and seven of
N/8, listed in an API database's ``cell_mappings``; ``audit
--config-file`` of the eight against the same of the largest alone.

Listing: ``audit --format json`` without ``--examples-only``, every
affected row listed (the output counted, not kept), and ``repair
--format json``'s dry run, on N/5 and N rows of the worst mix: their
peak RSS must not grow with the rows either.

Targets: audit/plain at least 0.8x on N rows of the cloud mix, on SQLite
and PostgreSQL; audit peak RSS at most 64 MB at every row count; eight
cells at most 1.5x the largest alone.

``python -m benchmarks.audit --rows 1000000`` runs it alone.
"""

import argparse
import contextlib
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile

from oslo_db import exception as db_exception

RATIO_TARGET = 0.8
MEMORY_TARGET_MB = 64.0
CELLS_TARGET = 1.5
CELLS = 8
COLUMNS = ('id, uuid, migration_type, status, cross_cell_move, '
           'old_instance_type_id, new_instance_type_id, source_compute, '
           'created_at, updated_at, deleted')
BATCH = 1000

MIXES = {
    'cloud': (
        # share in 100, migration_type, status, age in days, source
        (55, 'migration', 'confirmed', 90, 'compute-1'),
        (25, 'live-migration', 'completed', 60, 'compute-2'),
        (12, 'evacuation', 'completed', 60, 'compute-3'),
        (4, 'evacuation', 'done', 30, 'dead'),
        (2, 'migration', 'error', 30, 'compute-1'),
        (1, 'live-migration', 'running', 30, 'compute-2'),
        (1, 'live-migration', 'running', 0, 'compute-2'),
    ),
    'worst': (
        (25, 'migration', 'confirmed', 90, 'compute-1'),
        (25, 'live-migration', 'running', 30, 'compute-1'),
        (25, 'evacuation', 'done', 30, 'dead'),
        (25, 'migration', 'migrated', 0, 'compute-1'),
    ),
}
"""Rows of a table, as shares of each kind (the shares add up to 100)."""

_AUDIT = '''
import contextlib, io
from nova_migration_sm.operators import auditdb, cells
from nova_migration_sm.cmd import cli
import sqlalchemy.dialects.sqlite.pysqlite
with contextlib.suppress(ImportError):
    import psycopg2, sqlalchemy.dialects.postgresql.psycopg2
cli.build_parser()
source = ['--config-file' if sys.argv[1].endswith('.conf') else '--db-url',
          sys.argv[1]]
class Sink(io.StringIO):
    """Keeps the JSON of --examples-only; counts a listing's rows."""
    rows = 0
    def write(self, text):
        self.rows += text.count('"cell"')
        return super().write(text) if %(examples)s else len(text)
out = Sink()
started, cpu_started = time.perf_counter(), time.process_time()
with contextlib.redirect_stdout(out):
    code = cli.main(['%(command)s', *source, '--format', 'json',
                     *%(examples)s, '--progress', 'never',
                     '--batch-size', '%%(batch)d'])
assert code in (0, 1), code
'''
"""``audit`` or ``repair --format json``; with --examples-only or
listing every row (``out.rows`` counts them; the listing itself is not
kept)."""

_SCAN = {
    ('plain', 'sqlite'): '''
import sqlite3
path = sys.argv[1]
started, cpu_started = time.perf_counter(), time.process_time()
connection = sqlite3.connect('file:%%s?mode=ro' %% path, uri=True)
cursor = connection.cursor()
cursor.execute('SELECT %(columns)s FROM migrations WHERE deleted = 0')
rows = 0
while True:
    batch = cursor.fetchmany(%(batch)d)
    if not batch:
        break
    rows += len(batch)
cursor.close()
connection.close()
''',
    ('plain', 'postgresql'): '''
import psycopg2
url = sys.argv[1]
started, cpu_started = time.perf_counter(), time.process_time()
connection = psycopg2.connect(url)
connection.set_session(readonly=True)
cursor = connection.cursor(name='bench')
cursor.execute('SELECT %(columns)s FROM migrations WHERE deleted = 0')
rows = 0
while True:
    batch = cursor.fetchmany(%(batch)d)
    if not batch:
        break
    rows += len(batch)
cursor.close()
connection.close()
''',
    ('audit', None): _AUDIT % {'command': 'audit',
                               'examples': "['--examples-only']"} + '''
rows = json.loads(out.getvalue())['total']['rows']
''',
    ('listing', None): _AUDIT % {'command': 'audit', 'examples': '[]'} + '''
rows = out.rows
''',
    ('repair', None): _AUDIT % {'command': 'repair', 'examples': '[]'} + '''
rows = out.rows
''',
}
_REPORT = '''
elapsed = time.perf_counter() - started
with open('/proc/self/status') as status:
    peak_kb = next(int(line.split()[1]) for line in status
                   if line.startswith('VmHWM:'))
print(json.dumps({'rows': rows, 'seconds': elapsed, 'peak_kb': peak_kb,
                  'cpu_seconds': time.process_time() - cpu_started}))
'''


def _driver_target(url: str) -> str:
    """What the plain loop opens: the SQLite path, or a libpq URL."""
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    if parsed.get_backend_name() == 'sqlite':
        return parsed.database
    return parsed.set(drivername='postgresql').render_as_string(
        hide_password=False)


def scan(side: str, target: str, backend: str | None = None) -> dict:
    """One run of a side in a fresh interpreter: rows, seconds, peak_kb."""
    code = ('import json, sys, time\n' +
            _SCAN[side, backend] % {'batch': BATCH, 'columns': COLUMNS} +
            _REPORT)
    result = subprocess.run([sys.executable, '-W', 'ignore', '-c', code,
                             target], capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _case(mix, column: int, dialect: str) -> str:
    """SQL of one column of the mix, from the row number ``g``."""
    whens, bound = [], 0
    for kind in mix:
        bound += kind[0]
        value = kind[column]
        if column == 3:  # age in days -> the timestamp, as Nova stores it
            value = (datetime.datetime.utcnow() - datetime.timedelta(
                days=value)).isoformat(sep=' ', timespec='microseconds')
            if dialect != 'sqlite':
                value = "TIMESTAMP '%s'" % value
                whens.append('WHEN g %% 100 < %d THEN %s' % (bound, value))
                continue
        value = "'%s'" % value
        whens.append('WHEN g %% 100 < %d THEN %s' % (bound, value))
    return 'CASE %s END' % ' '.join(whens)


def _rows_sql(rows: int, mix: str, dialect: str) -> str:
    """An INSERT of ``rows`` rows of the mix, generated by the database."""
    kinds = MIXES[mix]
    migration_type = _case(kinds, 1, dialect)
    when = _case(kinds, 3, dialect)
    if dialect == 'sqlite':
        uuids = ("printf('%08x-0000-4000-8000-%012d', g, g)",
                 "printf('%08x-0000-4000-9000-%012d', g, g)")
        false, numbers = '0', (
            'WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n '
            'WHERE g < %d) ' % rows, ' FROM n')
    else:
        uuids = ('md5(g::text)::uuid::text', 'md5((-g)::text)::uuid::text')
        migration_type = 'CAST(%s AS migration_type)' % migration_type
        false, numbers = 'false', (
            '', ' FROM generate_series(1, %d) AS g' % rows)
    return (
        'INSERT INTO migrations (id, uuid, instance_uuid, migration_type, '
        'status, cross_cell_move, old_instance_type_id, '
        'new_instance_type_id, source_compute, created_at, updated_at, '
        'deleted, hidden) %sSELECT g, %s, %s, %s, %s, %s, 1, 1, %s, %s, %s, '
        '0, %s%s' % (numbers[0], uuids[0], uuids[1], migration_type,
                     _case(kinds, 2, dialect), false,
                     _case(kinds, 4, dialect), when, when, false,
                     numbers[1]))


def fill(url: str, rows: int, mix: str) -> None:
    """``rows`` rows of the mix in Nova's ``migrations`` table at ``url``."""
    import sqlalchemy as sa

    from nova_migration_sm.reference.db import models

    engine = sa.create_engine(url)
    try:
        models.Migration.metadata.create_all(
            engine, tables=[models.Migration.__table__])
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            # NOTE: no parameters: the driver leaves every % alone.
            cursor.execute(_rows_sql(rows, mix, engine.dialect.name))
            cursor.execute('ANALYZE')
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()


def _rounds(sides: dict, rounds: int) -> dict:
    """Each side's runs, alternating: ``{side: [run, ...]}``."""
    names = list(sides)
    found = {name: [] for name in names}
    for round_ in range(rounds):
        for name in (names if round_ % 2 == 0 else names[::-1]):
            found[name].append(sides[name]())
    return found


def measure(url: str, rows: int, rounds: int) -> dict:
    """Plain loop and audit on a filled table, ``rounds`` runs each."""
    backend = 'sqlite' if url.startswith('sqlite') else 'postgresql'
    target = _driver_target(url)
    found = _rounds({'plain': lambda: scan('plain', target, backend),
                     'audit': lambda: scan('audit', url)}, rounds)
    for side, runs in found.items():
        if any(run['rows'] != rows for run in runs):
            raise RuntimeError('%s read %s rows, not %d' % (
                side, [run['rows'] for run in runs], rows))
    result = {side: {'rows_per_s': statistics.median(
                         run['rows'] / run['seconds'] for run in runs),
                     'peak_mb': max(run['peak_kb'] for run in runs) / 1024}
              for side, runs in found.items()}
    result['ratio'] = statistics.median(
        plain['seconds'] / audit['seconds']
        for plain, audit in zip(found['plain'], found['audit']))
    return result


def _postgresql():
    """oslo.db's PostgreSQL backend, or None with the reason."""
    from oslo_db.sqlalchemy import provision

    try:
        return provision.Backend.backend_for_database_type('postgresql'), ''
    except db_exception.BackendNotAvailable as error:
        return None, str(error)


@contextlib.contextmanager
def _database(backend: str):
    from benchmarks import persistence

    with persistence.private_database(backend) as url:
        yield url


def _api_database(path: str, name: str, cells: list[str]) -> str:
    """An API database mapping ``cells`` (URLs); a nova.conf naming it."""
    import sqlalchemy as sa

    api = 'sqlite:///%s' % os.path.join(path, 'api-%s.sqlite' % name)
    engine = sa.create_engine(api)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                'CREATE TABLE cell_mappings (id INTEGER PRIMARY KEY, uuid '
                'VARCHAR(36), name VARCHAR(255), transport_url TEXT, '
                'database_connection TEXT, disabled BOOLEAN)')
            for number, cell in enumerate(cells, 1):
                connection.exec_driver_sql(
                    'INSERT INTO cell_mappings VALUES (?, ?, ?, ?, ?, 0)',
                    (number, '%08d-0000-4000-8000-000000000000' % number,
                     'cell%d' % number, 'rabbit://', cell))
    finally:
        engine.dispose()
    conf = os.path.join(path, 'cells-%s.conf' % name)
    with open(conf, 'w') as out:
        out.write('[api_database]\nconnection = %s\n' % api)
    return conf


def measure_cells(rows: int, rounds: int) -> dict:
    """Eight SQLite cells (N, and 7 of N/8) against the largest alone."""
    with tempfile.TemporaryDirectory() as path:
        cells = []
        for number in range(CELLS):
            url = 'sqlite:///%s' % os.path.join(path, 'cell%d.sqlite'
                                                % number)
            fill(url, rows if number == 0 else rows // CELLS, 'cloud')
            cells.append(url)
        alone = _api_database(path, 'alone', cells[:1])
        every = _api_database(path, 'every', cells)
        small = _api_database(path, 'small', cells[1:2])
        found = _rounds({'alone': lambda: scan('audit', alone),
                         'small': lambda: scan('audit', small),
                         'every': lambda: scan('audit', every)}, rounds)
    seconds = {side: statistics.median(run['seconds'] for run in runs)
               for side, runs in found.items()}
    cpu = {side: statistics.median(run['cpu_seconds'] for run in runs)
           for side, runs in found.items()}
    return {'alone_s': seconds['alone'], 'every_s': seconds['every'],
            'alone_cpu_s': cpu['alone'], 'every_cpu_s': cpu['every'],
            'one_after_another_s': seconds['alone'] + (CELLS - 1) *
            seconds['small'],
            'ratio': statistics.median(
                every['seconds'] / alone['seconds']
                for every, alone in zip(found['every'], found['alone'])),
            'peak_mb': max(run['peak_kb'] for run in found['every']) / 1024}


class _Lines(list):
    """The report's lines, each also printed as soon as it is measured."""

    def __init__(self, echo: bool) -> None:
        super().__init__()
        self.echo = echo

    def append(self, line: str) -> None:
        super().append(line)
        if self.echo:
            print(line, file=sys.stderr, flush=True)


PARTS = ('sqlite', 'postgresql', 'listing', 'cells')


def run(rows: int, rounds: int, echo: bool = True,
        parts=PARTS) -> tuple[str, bool]:
    """The report, and whether the targets were met.

    ``echo`` prints each line on stderr as soon as it is measured;
    ``parts`` are some of :data:`PARTS`.
    """
    lines = _Lines(echo)
    lines.append('audit at scale (each run a fresh process, %d rounds per '
                 'side; audit/plain is the median of the rounds\' ratios)'
                 % rounds)
    met = True
    peaks = []
    backends = ['sqlite'] if 'sqlite' in parts else []
    server, why = _postgresql()
    if server is not None and 'postgresql' in parts:
        backends.append('postgresql')
    limit = {'sqlite': 'plain sqlite3 loop',
             'postgresql': 'raw psycopg2 named cursor'}
    for backend in backends:
        for mix, counts in (('cloud', (rows // 10, rows)),
                            ('worst', (rows,))):
            for count in counts:
                with _database(backend) as url:
                    fill(url, count, mix)
                    result = measure(url, count, rounds)
                peaks.append(result['audit']['peak_mb'])
                target = mix == 'cloud' and count == rows
                ratio_met = result['ratio'] >= RATIO_TARGET
                met = met and (ratio_met or not target)
                lines.append(
                    '  %-10s %-5s %8d rows: audit %9.0f rows/s, %s %9.0f '
                    'rows/s, audit/plain %.2fx%s; peak RSS audit %.1f MB, '
                    'plain %.1f MB' % (
                        backend, mix, count, result['audit']['rows_per_s'],
                        limit[backend], result['plain']['rows_per_s'],
                        result['ratio'],
                        (' (target >= %.1fx: %s)' % (
                            RATIO_TARGET, 'met' if ratio_met else 'NOT MET'))
                        if target else ' (info)',
                        result['audit']['peak_mb'],
                        result['plain']['peak_mb']))
    if server is None and 'postgresql' in parts:
        lines.append('  postgresql: not measured: no PostgreSQL (%s); set '
                     'OS_TEST_DBAPI_ADMIN_CONNECTION to a PostgreSQL admin '
                     'URL' % why)
    if 'listing' in parts:
        _listing(lines, peaks, rows)
    cells_met = True
    if 'cells' in parts:
        cells_met = _cells(lines, peaks, rows, rounds)
    memory_met = max(peaks) <= MEMORY_TARGET_MB
    lines.append('  memory: audit peak RSS at most %.1f MB over every run '
                 '(target <= %d MB: %s)' % (
                     max(peaks), MEMORY_TARGET_MB,
                     'met' if memory_met else 'NOT MET'))
    return '\n'.join(lines), met and memory_met and cells_met


def _cells(lines: list, peaks: list, rows: int, rounds: int) -> bool:
    """Measure the cells; their line; whether the target was met."""
    cells = measure_cells(rows, rounds)
    peaks.append(cells['peak_mb'])
    cells_met = cells['ratio'] <= CELLS_TARGET
    lines.append(
        '  cells: 8 SQLite cells (%d rows, 7 x %d) %.2f s, the largest alone '
        '%.2f s: %.2fx (target <= %.1fx: %s); one after another would take '
        '%.2f s; CPU %.2f s against %.2f s alone (%.2fx), %.2f and %.2f of '
        'the %d cores busy on average (load %.1f); peak RSS %.1f MB' % (
            rows, rows // CELLS, cells['every_s'], cells['alone_s'],
            cells['ratio'], CELLS_TARGET, 'met' if cells_met else 'NOT MET',
            cells['one_after_another_s'], cells['every_cpu_s'],
            cells['alone_cpu_s'], cells['every_cpu_s'] / cells['alone_cpu_s'],
            cells['every_cpu_s'] / cells['every_s'],
            cells['alone_cpu_s'] / cells['alone_s'], os.cpu_count(),
            os.getloadavg()[0], cells['peak_mb']))
    return cells_met


def measure_listing(rows: int) -> dict:
    """The full listing of the worst mix, and the repair of it.

    ``audit --format json`` listing every row, and ``repair --format
    json``'s dry run, once each.
    """
    with _database('sqlite') as url:
        fill(url, rows, 'worst')
        return {side: scan(side, url) for side in ('listing', 'repair')}


def _listing(lines: list, peaks: list, rows: int) -> None:
    """The full JSON listing at rows/5 and rows; its peaks count."""
    for count in (rows // 5, rows):
        found = measure_listing(count)
        peaks.extend(run['peak_kb'] / 1024 for run in found.values())
        lines.append(
            '  listing: sqlite     worst %8d rows: audit --format json lists '
            '%d rows in %.1f s, peak RSS %.1f MB; repair --format json plans '
            '%d in %.1f s, peak RSS %.1f MB' % (
                count, found['listing']['rows'], found['listing']['seconds'],
                found['listing']['peak_kb'] / 1024, found['repair']['rows'],
                found['repair']['seconds'],
                found['repair']['peak_kb'] / 1024))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m benchmarks.audit')
    parser.add_argument('--rows', type=int, default=1_000_000)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--parts', default=','.join(PARTS),
                        help='Some of %s, comma-separated.' % ', '.join(
                            PARTS))
    args = parser.parse_args(argv)
    report, met = run(args.rows, args.rounds,
                      parts=args.parts.split(','))
    print(report)
    return 0 if met else 1


if __name__ == '__main__':
    os.environ.setdefault('PYTHONWARNINGS', 'ignore')
    sys.exit(main())
