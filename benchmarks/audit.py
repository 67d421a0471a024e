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

"""The audit at scale, against the limit: a raw streaming SELECT.

One ``migrations`` table of N rows on PostgreSQL (provisioned by oslo.db
on the server ``OS_TEST_DBAPI_ADMIN_CONNECTION`` names), read by

* ``audit``: ``nova-migration-sm audit --db-url URL`` as an operator
  runs it (``cli.main``): it streams the table through psycopg2's
  server-side cursor (``nova_migration_sm.auditdb``) and sorts every row
  into findings;
* ``raw``: a psycopg2 named (server-side) cursor fetching the same
  columns with the same ``WHERE deleted = 0``, ``fetchmany()`` of the
  same batch size, and doing nothing with the rows (the limit).

Each run is a process of its own (a fresh interpreter); its peak RSS is
``VmHWM`` of ``/proc/self/status``, the high-water mark of its own
memory (Linux's ``ru_maxrss`` would start at the RSS of the parent that
forked it). The time is the scan's, from connecting to the last row;
imports are done before (``nova-migration-sm`` pays them once, whatever
the rows).
The runs alternate (raw, audit, audit, raw...) and the medians are
compared. Peak memory is measured at N and at N/10 rows: the audit's
must not grow with the table. Targets: audit throughput at least 0.5x
the raw cursor's, and peak RSS under 100 MB.

``python -m benchmarks.audit --rows 1000000`` runs it alone.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

from oslo_db import exception as db_exception

RATIO_TARGET = 0.5
MEMORY_TARGET_MB = 100.0
COLUMNS = ('id, uuid, migration_type, status, cross_cell_move, '
           'old_instance_type_id, new_instance_type_id, source_compute, '
           'created_at, updated_at, deleted')
BATCH = 1000

_SCAN = {
    'raw': '''
import psycopg2
url = sys.argv[1]
started = time.perf_counter()
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
    'audit': '''
import contextlib, io
from nova_migration_sm import auditdb, cells
from nova_migration_sm.cmd import cli
import psycopg2, sqlalchemy.dialects.postgresql.psycopg2
cli.build_parser()
url = sys.argv[1]
out = io.StringIO()
started = time.perf_counter()
with contextlib.redirect_stdout(out):
    code = cli.main(['audit', '--db-url', url, '--format', 'json',
                     '--examples-only', '--progress', 'never',
                     '--batch-size', '%(batch)d'])
assert code in (0, 1), code
rows = json.loads(out.getvalue())['total']['rows']
''',
}
_REPORT = '''
elapsed = time.perf_counter() - started
with open('/proc/self/status') as status:
    peak_kb = next(int(line.split()[1]) for line in status
                   if line.startswith('VmHWM:'))
print(json.dumps({'rows': rows, 'seconds': elapsed, 'peak_kb': peak_kb}))
'''


def _libpq_url(url: str) -> str:
    """The same database as a URL psycopg2 itself takes."""
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    return parsed.set(drivername='postgresql').render_as_string(
        hide_password=False)


def scan(side: str, url: str) -> dict:
    """One run of a side in a fresh interpreter: rows, seconds, peak_kb."""
    code = ('import json, sys, time\n' +
            _SCAN[side] % {'batch': BATCH, 'columns': COLUMNS} + _REPORT)
    target = _libpq_url(url) if side == 'raw' else url
    result = subprocess.run([sys.executable, '-W', 'ignore', '-c', code,
                             target], capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def fill(url: str, rows: int) -> None:
    """``rows`` rows in Nova's ``migrations`` table, a mix the audit sorts.

    Per four rows: a confirmed cold migration (90 days old), a live
    migration stuck in ``running`` (30 days), an evacuation ``done`` on a
    dead host (30 days) and a row whose status no machine knows. Three
    rows in four are findings: harder on the audit than a real cloud,
    where most rows are finished migrations.
    """
    import sqlalchemy as sa

    from nova_migration_sm.db import models

    engine = sa.create_engine(url)
    try:
        models.Migration.metadata.create_all(
            engine, tables=[models.Migration.__table__])
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO migrations (id, uuid, instance_uuid, "
                "migration_type, status, cross_cell_move, "
                "old_instance_type_id, new_instance_type_id, "
                "source_compute, created_at, updated_at, deleted, hidden) "
                "SELECT g, md5(g::text)::uuid::text, "
                "md5((-g)::text)::uuid::text, "
                "CAST((ARRAY['migration', 'live-migration', 'evacuation', "
                "'migration'])[g %% 4 + 1] AS migration_type), "
                "(ARRAY['confirmed', 'running', 'done', 'migrated'])"
                "[g %% 4 + 1], false, 1, 1, "
                "(ARRAY['compute-1', 'compute-1', 'dead', 'compute-1'])"
                "[g %% 4 + 1], now() - (ARRAY[90, 30, 30, 0])[g %% 4 + 1] "
                "* interval '1 day', now() - (ARRAY[90, 30, 30, 0])"
                "[g %% 4 + 1] * interval '1 day', 0, false "
                "FROM generate_series(1, %(rows)s) AS g", {'rows': rows})
            connection.exec_driver_sql('ANALYZE migrations')
    finally:
        engine.dispose()


def measure(url: str, rows: int, rounds: int) -> dict:
    """Both sides on a table of ``rows`` rows, ``rounds`` runs each.

    ``ratio`` is the median of each round's audit/raw throughput ratio
    (the two runs of a round are back to back: robust to drifting load).
    """
    fill(url, rows)
    found = {'raw': [], 'audit': []}
    for round_ in range(rounds):
        for side in (('raw', 'audit') if round_ % 2 == 0
                     else ('audit', 'raw')):
            found[side].append(scan(side, url))
    for side, runs in found.items():
        if any(run['rows'] != rows for run in runs):
            raise RuntimeError('%s read %s rows, not %d' % (
                side, [run['rows'] for run in runs], rows))
    result = {side: {'rows_per_s': statistics.median(
                         run['rows'] / run['seconds'] for run in runs),
                     'peak_mb': max(run['peak_kb'] for run in runs) / 1024}
              for side, runs in found.items()}
    result['ratio'] = statistics.median(
        raw['seconds'] / audit['seconds']
        for raw, audit in zip(found['raw'], found['audit']))
    return result


def _postgresql():
    """oslo.db's PostgreSQL backend, or None with the reason."""
    from oslo_db.sqlalchemy import provision

    try:
        return provision.Backend.backend_for_database_type('postgresql'), ''
    except db_exception.BackendNotAvailable as error:
        return None, str(error)


def run(rows: int, rounds: int) -> tuple[str, bool]:
    """The report, and whether the targets were met (True if skipped)."""
    from benchmarks import persistence

    server, why = _postgresql()
    if server is None:
        return ('audit at scale: not measured: no PostgreSQL (%s); set '
                'OS_TEST_DBAPI_ADMIN_CONNECTION to a PostgreSQL admin URL'
                % why), True
    lines = ['audit at scale (PostgreSQL, %d rounds per side, each run a '
             'fresh process; audit/raw is the median of the rounds\' '
             'ratios)' % rounds]
    found = {}
    for count in (rows // 10, rows):
        with persistence.private_database('postgresql') as url:
            found[count] = measure(url, count, rounds)
    for count, result in found.items():
        lines.append(
            '  %9d rows: audit %8.0f rows/s, raw psycopg2 named cursor '
            '%8.0f rows/s, audit/raw %.2fx; peak RSS audit %.1f MB, raw '
            '%.1f MB' % (count, result['audit']['rows_per_s'],
                         result['raw']['rows_per_s'], result['ratio'],
                         result['audit']['peak_mb'],
                         result['raw']['peak_mb']))
    ratio = found[rows]['ratio']
    peaks = [result['audit']['peak_mb'] for result in found.values()]
    ratio_met = ratio >= RATIO_TARGET
    memory_met = max(peaks) < MEMORY_TARGET_MB
    lines.append(
        '  targets: audit/raw at %d rows %.2fx >= %.1fx: %s; audit peak RSS '
        '%.1f MB at %d rows, %.1f MB at %d rows, < %d MB: %s' % (
            rows, ratio, RATIO_TARGET, 'met' if ratio_met else 'NOT MET',
            peaks[0], rows // 10, peaks[1], rows, MEMORY_TARGET_MB,
            'met' if memory_met else 'NOT MET'))
    return '\n'.join(lines), ratio_met and memory_met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m benchmarks.audit')
    parser.add_argument('--rows', type=int, default=1_000_000)
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args(argv)
    report, met = run(args.rows, args.rounds)
    print(report)
    return 0 if met else 1


if __name__ == '__main__':
    os.environ.setdefault('PYTHONWARNINGS', 'ignore')
    sys.exit(main())
