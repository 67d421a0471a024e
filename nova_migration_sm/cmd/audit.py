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

"""Audit Nova migrations tables (read-only) against the machines.

``--config-file nova.conf`` audits every cell the API database lists
(cell0 included); ``--db-url`` one database. Exit status: 0 when every
database was read and nothing would break under ``enforcement = strict``
(stuck migrations are reported but do not count), 1 when some rows
would, 2 when a database (or the config) could not be read; 2 wins.
"""

import argparse
import io
import sys
import threading

from nova_migration_sm.cmd import args as checked
from nova_migration_sm.operators import audit
from nova_migration_sm.operators.cannotcheck import CannotCheck
from nova_migration_sm.operators import spool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group(
        'what to audit', 'Either --db-url, or Nova config files.')
    source.add_argument(
        '--db-url', metavar='URL',
        help='SQLAlchemy URL of one Nova cell database, e.g. '
             'mysql+pymysql://nova:PASS@HOST/nova (read-only access is '
             'enough).')
    source.add_argument(
        '--config-file', metavar='PATH', dest='config_args',
        action=checked.ConfigArgument,
        help="A Nova config file (repeatable, read in order like Nova "
             "does): audit every cell listed in the cell_mappings of "
             "[api_database] connection, cell0 included.")
    source.add_argument(
        '--config-dir', metavar='DIR', dest='config_args',
        action=checked.ConfigArgument,
        help='A directory of *.conf files, read as oslo.config does '
             '(repeatable).')
    parser.add_argument(
        '--stale-after', default=audit.DEFAULT_STALE_AFTER,
        type=checked.duration, metavar='DURATION',
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
        help='Also read soft-deleted rows (marked "deleted").')
    listing = parser.add_mutually_exclusive_group()
    listing.add_argument(
        '--all', action='store_true', dest='list_all',
        help='List every affected row under its group, not only the '
             'oldest examples (the JSON always lists every row).')
    listing.add_argument(
        '--examples-only', action='store_true',
        help='JSON too names only the oldest rows of each group (no '
             'temporary file: the rows listed otherwise wait in one, not '
             'in memory).')
    parser.add_argument(
        '--batch-size', type=checked.positive_int,
        default=audit.DEFAULT_BATCH_SIZE, metavar='ROWS',
        help='Rows fetched per round trip (default: %(default)s).')
    parser.add_argument(
        '--progress', choices=('auto', 'always', 'never'), default='auto',
        help='Progress on stderr (auto: when stderr is a terminal).')


class Progress:
    """How far the audit is, on one rewritten line of a terminal.

    The cells are read concurrently: the line sums them, ``N rows in K
    of M cells: R read to judge`` (the database judges the others).
    """

    def __init__(self, stream, cells: int) -> None:
        self.stream = stream
        self.cells = cells
        self.totals: dict[str, int] = {}
        self.judged: dict[str, int] = {}
        self.lock = threading.Lock()
        self.started = False

    def start(self, name: str, total: int) -> None:
        with self.lock:
            self.totals[name] = total
            self.judged[name] = 0
            self._show()

    def read(self, name: str, rows: int) -> None:
        with self.lock:
            self.judged[name] = rows
            self._show()

    def _show(self) -> None:
        where = (' in %d of %d cells' % (len(self.totals), self.cells)
                 if self.cells > 1 else '')
        self.stream.write('\r%d rows%s: %d read to judge' % (
            sum(self.totals.values()), where, sum(self.judged.values())))
        self.stream.flush()
        self.started = True

    def close(self) -> None:
        if self.started:
            self.stream.write('\n')
            self.stream.flush()


class _Lines:
    """Lines written to a stream as they are made (None: dropped).

    ``--all`` lists every row: the lines are never held together.
    """

    def __init__(self, stream) -> None:
        self.stream = stream

    def append(self, line: str) -> None:
        if self.stream is not None:
            self.stream.write(line + '\n')


def _example(example) -> str:
    _, row_id, uuid, deleted = example
    return (uuid or 'id=%s' % row_id) + (' (deleted)' if deleted else '')


def _listed(lines, group: audit.Group) -> None:
    for row in group.to_dict()['listed']:
        # NOTE: one row at a time: the rows stay in the spool.
        lines.append('      id=%s  %s  %s  %r  updated %s%s' % (
            row['id'], row['uuid'] or '-', row['migration_type'] or 'NULL',
            row['status'], row['updated_at'] or '-',
            '  (deleted)' if row['deleted'] else ''))


def _section(lines, title, findings, columns, key_names) -> None:
    total = sum(g.rows for g in findings.values())
    lines.append('')
    lines.append('%s: %s' % (title, total or 'none'))
    if not findings:
        return
    rows = [tuple(key_names) + ('rows', 'oldest change', 'oldest (uuid)')]
    ordered = sorted(findings.items(), key=lambda kv: (
        audit.iso(kv[1].oldest) or '', str(kv[0])))
    groups = [None]
    for key, group in ordered:
        key = key if isinstance(key, tuple) else (key,)
        cells = tuple(columns(key))
        rows.append(cells + (
            str(group.rows), audit.iso(group.oldest) or '-',
            ', '.join(_example(e) for e in sorted(group.examples))))
        groups.append(group)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row, group in zip(rows, groups):
        lines.append('  ' + '  '.join(
            cell.ljust(width) for cell, width in zip(row, widths)) +
            '  ' + row[-1])
        if group is not None and group.listed is not None:
            _listed(lines, group)


def _type_cc(key):
    migration_type, cross_cell, status = key
    return (migration_type + (' (cross-cell)' if cross_cell else ''),
            repr(status))


def _findings(lines: _Lines, report: audit.AuditReport) -> None:
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
             audit.iso(report.stale_before), report.stuck, _type_cc,
             ['type', 'status'])
    _section(lines, "Evacuations 'done' since before %s, waiting for their "
                    "source compute to start" %
             audit.iso(report.stale_before), report.done_evacuations,
             lambda k: (str(k[0]),), ['source_compute'])


def _read(report: audit.AuditReport) -> str:
    return '%d rows read; %d judged row by row, in %d batches%s' % (
        report.rows, report.read, report.batches,
        ' (server-side cursor)' if report.server_side_cursor else '')


def _result(breaking: int) -> str:
    if breaking:
        return ('RESULT: %d rows would break under [migration_state_'
                'machine] enforcement = strict; fix them or keep '
                'enforcement = warn.' % breaking)
    return ('RESULT: nothing would break under [migration_state_machine] '
            'enforcement = strict.')


def format_table(audits: audit.Audits) -> str:
    """The report: one section per database, then the total."""
    out = io.StringIO()
    write_table(audits, out)
    return out.getvalue()


def write_table(audits: audit.Audits, stream) -> None:
    """:func:`format_table`, written to ``stream`` line by line."""
    lines = _Lines(stream)
    single = len(audits.databases) == 1
    for number, database in enumerate(audits.databases):
        report = database.report
        if single:
            lines.append('Audit of %s, table %s: %s.' % (
                database.database, report.table, _read(report)))
        else:
            if number:
                lines.append('')
            lines.append('== Cell %s (%s), %s ==' % (
                database.name, database.uuid, database.database))
            if database.shared_with is not None:
                lines.append('The same database as cell %s: audited once, '
                             'there.' % database.shared_with)
                continue
            if report is None:
                lines.append('NOT CHECKED: %s' % database.error)
                continue
            lines.append('Table %s: %s.' % (report.table, _read(report)))
        _findings(lines, report)
    lines.append('')
    if not single:
        checked = len(audits.reports) + len(audits.shared)
        lines.append(
            'TOTAL: %d of %d cells checked, %d rows read; %d would break '
            'under strict, %d stuck, %d done evacuations waiting.' % (
                checked, len(audits.databases), audits.rows,
                audits.breaking, audits.stuck_rows,
                audits.done_evacuation_rows))
        if audits.shared:
            lines.append('SHARED: %s; each database was audited once.' % (
                ', '.join('cell %s uses the database of cell %s' % (
                    d.name, d.shared_with)
                          for d in audits.shared)))
        if audits.not_checked:
            lines.append('NOT CHECKED: %s.' % ', '.join(
                d.name for d in audits.not_checked))
    lines.append(_result(audits.breaking))


def _targets(args: argparse.Namespace):
    from nova_migration_sm import conf as options
    from nova_migration_sm.operators import auditdb
    from nova_migration_sm.operators import cells

    if args.db_url is not None and args.config_args:
        raise CannotCheck('give --db-url or --config-file/--config-dir, '
                          'not both')
    if args.db_url is not None:
        return [auditdb.Target.from_url(args.db_url)]
    if not args.config_args:
        raise CannotCheck('nothing to audit: give --config-file nova.conf '
                          '(every cell) or --db-url URL (one database)')
    conf = cells.load_config(args.config_args)
    invalid = options.invalid_values(conf)
    if invalid:
        raise CannotCheck('; '.join(invalid.values()))
    return cells.targets_from_config(conf, ' and '.join(
        args.config_args[1::2]))


def _error(database: audit.DatabaseAudit) -> str:
    if database.uuid is None:
        return database.error
    return 'cell %s: %s' % (database.name, database.error)


def run(args: argparse.Namespace) -> int:
    from nova_migration_sm.operators import auditdb

    targets = _targets(args)
    progress = None
    if args.progress == 'always' or (args.progress == 'auto' and
                                     sys.stderr.isatty()):
        progress = Progress(sys.stderr, len(targets))
    try:
        audits = auditdb.audit_targets(
            targets, progress, stale_after=args.stale_after,
            table=args.table, batch_size=args.batch_size,
            include_deleted=args.include_deleted,
            list_rows=(args.list_all or args.format == 'json') and
            not args.examples_only)
    finally:
        if progress is not None:
            progress.close()
    try:
        return _output(args, audits)
    finally:
        audits.close()


def _output(args: argparse.Namespace, audits: audit.Audits) -> int:
    not_checked = audits.not_checked
    if not audits.reports:
        if len(not_checked) == 1:
            raise CannotCheck(_error(not_checked[0]))
        raise CannotCheck('none of the %d cells could be checked: %s' % (
            len(not_checked), '; '.join(_error(d) for d in not_checked)))
    if args.format == 'json':
        spool.dump(audits.to_dict(), sys.stdout)
    else:
        write_table(audits, sys.stdout)
    if not_checked:
        sys.stdout.flush()
        print('nova-migration-sm audit: %d of %d cells not checked: %s' % (
            len(not_checked), len(audits.databases),
            '; '.join(_error(d) for d in not_checked)), file=sys.stderr)
    return audits.exit_status
