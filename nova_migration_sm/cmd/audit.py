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

"""Audit a Nova migrations table (read-only) against the machines.

Exit status: 0 when nothing would break under ``enforcement = strict``
(stuck migrations are reported but do not count), 1 when some rows would,
2 when the database cannot be read.
"""

import argparse
import json
import sys

from nova_migration_sm import audit


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--db-url', required=True, metavar='URL',
        help='SQLAlchemy URL of a Nova cell database, e.g. '
             'mysql+pymysql://nova:PASS@HOST/nova (read-only access is '
             'enough).')
    parser.add_argument(
        '--stale-after', default='7d', type=audit.parse_duration,
        metavar='DURATION',
        help='Report non-terminal rows not updated for this long (90s, '
             '30m, 12h, 7d, 2w; default: 7d).')
    parser.add_argument(
        '--format', choices=('table', 'json'), default='table',
        help='Output format (default: table).')
    parser.add_argument(
        '--table', default=audit.DEFAULT_TABLE,
        help='Table to read (default: migrations; Nova archives to '
             'shadow_migrations).')
    parser.add_argument(
        '--include-deleted', action='store_true',
        help='Also read soft-deleted rows.')
    parser.add_argument(
        '--batch-size', type=int, default=audit.DEFAULT_BATCH_SIZE,
        help='Rows fetched per round trip (default: %(default)s).')
    parser.add_argument(
        '--progress', choices=('auto', 'always', 'never'), default='auto',
        help='Progress on stderr (auto: when stderr is a terminal).')


class Progress:
    """``read N of TOTAL rows`` on one rewritten line of a terminal."""

    def __init__(self, stream, total: int) -> None:
        self.stream = stream
        self.total = total

    def __call__(self, report: audit.AuditReport) -> None:
        percent = 100 * report.rows // self.total if self.total else 100
        self.stream.write('\rread %d of %d rows (%d%%)' % (
            report.rows, self.total, percent))
        self.stream.flush()

    def close(self) -> None:
        self.stream.write('\n')
        self.stream.flush()


def _section(lines, title, findings, columns, key_names) -> None:
    total = sum(g.rows for g in findings.values())
    lines.append('')
    lines.append('%s: %s' % (title, total or 'none'))
    if not findings:
        return
    rows = [tuple(key_names) + ('rows', 'oldest change', 'oldest (uuid)')]
    ordered = sorted(findings.items(), key=lambda kv: (
        kv[1].oldest or audit.datetime.datetime.min, str(kv[0])))
    for key, group in ordered:
        key = key if isinstance(key, tuple) else (key,)
        cells = tuple(columns(key))
        rows.append(cells + (
            str(group.rows), audit._iso(group.oldest) or '-',
            ', '.join(u or 'id=%s' % i
                      for _, i, u in sorted(group.examples))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        lines.append('  ' + '  '.join(
            cell.ljust(width) for cell, width in zip(row, widths)) +
            '  ' + row[-1])


def _type_cc(key):
    migration_type, cross_cell, status = key
    return (migration_type + (' (cross-cell)' if cross_cell else ''),
            repr(status))


def format_table(report: audit.AuditReport, url: str) -> str:
    lines = ['Audit of %s, table %s: %d rows read in %d batches%s.' % (
        url, report.table, report.rows, report.batches,
        ' (server-side cursor)' if report.server_side_cursor else '')]
    _section(lines, 'Statuses unknown to the field (break under strict)',
             report.unknown_statuses,
             lambda k: ('NULL' if k[0] is None else repr(k[0]),), ['status'])
    _section(lines, 'Migration types no machine knows (break under strict)',
             report.unknown_types, lambda k: (repr(k[0]),), ['type'])
    _section(lines, 'Statuses impossible for the type (break under strict)',
             report.impossible, _type_cc, ['type', 'status'])
    _section(lines, 'Rows with a NULL migration_type (Nova infers the type '
                    'from the flavors; checked as that type)',
             report.null_types, lambda k: (k[0], repr(k[1])),
             ['inferred type', 'status'])
    _section(lines, 'Stuck: not terminal, not updated since %s' %
             audit._iso(report.stale_before), report.stuck, _type_cc,
             ['type', 'status'])
    _section(lines, "Evacuations 'done' since before %s, waiting for their "
                    "source compute to start" %
             audit._iso(report.stale_before), report.done_evacuations,
             lambda k: (str(k[0]),), ['source_compute'])
    lines.append('')
    if report.breaking:
        lines.append('RESULT: %d rows would break under [migration_state_'
                     'machine] enforcement = strict; fix them or keep '
                     'enforcement = warn.' % report.breaking)
    else:
        lines.append('RESULT: nothing would break under [migration_state_'
                     'machine] enforcement = strict.')
    return '\n'.join(lines) + '\n'


def run(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    url = sa.make_url(args.db_url)
    shown = url.render_as_string(hide_password=True)
    engine = sa.create_engine(url)
    progress = None
    try:
        if args.progress == 'always' or (args.progress == 'auto' and
                                         sys.stderr.isatty()):
            progress = Progress(sys.stderr, audit.count_rows(
                engine, args.table, args.include_deleted))
        report = audit.audit(engine, args.stale_after, table=args.table,
                             batch_size=args.batch_size,
                             include_deleted=args.include_deleted,
                             on_batch=progress)
    except sa.exc.SQLAlchemyError as error:
        print('nova-migration-sm audit: cannot read %s: %s' % (
            shown, error), file=sys.stderr)
        return 2
    finally:
        if progress is not None:
            progress.close()
        engine.dispose()
    if args.format == 'json':
        print(json.dumps(dict(report.to_dict(), database=shown), indent=2))
    else:
        sys.stdout.write(format_table(report, shown))
    return 1 if report.breaking else 0
