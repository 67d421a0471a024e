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

"""Repair what the audit finds: a dry run, then --apply (compare-and-swap).

Takes the audit's inputs and runs its read-only checks first; prints every
row it would change (cell, id, uuid, type, from, to, why) and every row
left to decide. ``--apply`` writes each change only while the row still
holds the status planned from; ``--plan FILE`` saves a dry run and
``--apply --plan FILE`` applies exactly it; ``--journal FILE`` records
each change written and ``--undo FILE`` moves those rows back. Exit
status: 0 nothing to do, or everything applied; 1 rows left to decide,
skipped, or (dry run) to change; 2 could not check.
"""

import argparse
import collections
import dataclasses
import json
import os
import sys

from nova_migration_sm.cmd import args as checked
from nova_migration_sm.cmd import audit as audit_cmd
from nova_migration_sm.operators.cannotcheck import CannotCheck
from nova_migration_sm.operators import repair
from nova_migration_sm.operators import spool

NULL = 'NULL'
"""How ``--map`` spells a NULL status."""
DONE, LEFT, NOT_CHECKED = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    audit_cmd.add_arguments(parser)
    what = parser.add_argument_group(
        'repair', 'A dry run unless --apply or --undo is given.')
    what.add_argument(
        '--apply', action='store_true',
        help='Write the changes, each only while the row still holds the '
             'status it was planned from.')
    what.add_argument(
        '--plan', metavar='FILE',
        help='Save the dry run to FILE; with --apply, apply exactly the '
             'plan FILE holds.')
    what.add_argument(
        '--journal', metavar='FILE',
        help='Append every change written to FILE (with --apply or '
             '--undo), for --undo.')
    what.add_argument(
        '--undo', metavar='FILE',
        help='Move the rows a journal records back, each only while it '
             'still holds the status the repair wrote.')
    what.add_argument(
        '--map', metavar='TYPE:OLD=NEW', action='append', default=[],
        dest='maps',
        help='Rows of TYPE in status OLD (NULL for none) become NEW, a '
             'status TYPE can hold (repeatable).')


def parse_map(text: str) -> tuple[tuple[str, str | None], str]:
    """``TYPE:OLD=NEW`` as ``((type, old), new)``; CannotCheck if not one."""
    migration_type, colon, rest = text.partition(':')
    old, equals, new = rest.rpartition('=')
    if not colon or not equals or not migration_type or not new:
        raise CannotCheck('--map %r is not TYPE:OLD=NEW, e.g. '
                          'resize:finshed=finished' % text)
    checked.migration_type(migration_type)
    checked.status(new, migration_type, False)
    return (migration_type, None if old == NULL else old), new


def _writable(path: str, what: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder) or \
            not os.access(folder, os.W_OK):
        raise CannotCheck('%s %s: cannot write there' % (what, path))
    return path


def _read(path: str, what: str) -> str:
    try:
        with open(path) as stream:
            return stream.read()
    except OSError as error:
        raise CannotCheck('%s %s: %s' % (what, path, error.strerror)) \
            from None
    except UnicodeDecodeError:
        raise CannotCheck('%s %s: not a text file' % (what, path)) from None


def _checked(args: argparse.Namespace) -> dict:
    """The maps; CannotCheck for options that do not go together."""
    if args.undo and (args.apply or args.plan or args.maps):
        raise CannotCheck('--undo reverts a journal; give it without '
                          '--apply, --plan or --map')
    if args.journal and not (args.apply or args.undo):
        raise CannotCheck('--journal records the changes written; give it '
                          'with --apply or --undo')
    if args.apply and args.plan and args.maps:
        raise CannotCheck('--apply --plan applies the plan as saved; give '
                          '--map when making it')
    if args.examples_only:
        raise CannotCheck('repair lists every row it finds; '
                          '--examples-only is for audit')
    if args.journal:
        _writable(args.journal, '--journal')
    if args.plan and not args.apply:
        _writable(args.plan, '--plan')
    return dict(parse_map(text) for text in args.maps)


def _saved_plan(path: str) -> repair.Plan:
    text = _read(path, '--plan')
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    return repair.Plan.from_dict(data, path)


def _table(lines, header: tuple, rows) -> None:
    """A table of ``rows()``, called twice: widths, then lines.

    The rows may be a plan's, on disk: they are never held together.
    """
    def texts():
        yield header
        for row in rows():
            yield tuple('-' if c is None else str(c) for c in row)
    widths = [0] * (len(header) - 1)
    for row in texts():
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    for row in texts():
        lines.append('  ' + '  '.join(c.ljust(w) for c, w in zip(
            row, widths)) + '  ' + row[-1])


def _status(status) -> str:
    return NULL if status is None else repr(status)


def format_plan(plan: repair.Plan, deleted: int, lines=None) -> list[str]:
    """The plan's lines.

    Added to ``lines`` if given: a list, or a stream's ``_Lines``.
    """
    lines = [] if lines is None else lines
    lines.append('Changes: %d' % len(plan.changes))
    if plan.changes:
        _table(lines, ('cell', 'id', 'uuid', 'type', 'from', 'to', 'why'),
               lambda: ((c.cell, c.id, c.uuid, c.migration_type,
                         _status(c.from_status), _status(c.to_status), c.why)
                        for c in plan.changes))
    lines.append('Rows that need a decision: %d' % len(plan.decisions))
    if plan.decisions:
        _table(lines, ('cell', 'id', 'uuid', 'type', 'status', 'suggestion',
                       'why'),
               lambda: ((d.cell, d.id, d.uuid, d.migration_type,
                         _status(d.status), d.suggestion, d.why)
                        for d in plan.decisions))
    if deleted:
        lines.append('Deleted rows, never touched: %d' % deleted)
    return lines


def format_outcomes(outcomes: list[repair.Outcome]) -> list[str]:
    written = [o for o in outcomes if o.written]
    skipped = [o for o in outcomes if not o.written]
    lines = ['Written: %d' % len(written)]
    if written:
        _table(lines, ('cell', 'id', 'uuid', 'from', 'to', 'at'),
               lambda: ((o.change.cell, o.change.id, o.change.uuid,
                         _status(o.change.from_status),
                         _status(o.change.to_status), o.at)
                        for o in written))
    lines.append('Skipped, not overwritten: %d' % len(skipped))
    if skipped:
        _table(lines, ('cell', 'id', 'uuid', 'from', 'to', 'why skipped'),
               lambda: ((o.change.cell, o.change.id, o.change.uuid,
                         _status(o.change.from_status),
                         _status(o.change.to_status), o.reason)
                        for o in skipped))
    return lines


def _key(cell: str, cell_uuid: str | None) -> str:
    return cell_uuid or cell


def _write(args, targets, changes) -> list[repair.Outcome]:
    """Apply changes, cell by cell, as the targets name the cells."""
    from nova_migration_sm.operators import dburl

    by_cell = collections.defaultdict(list)
    for change in changes:
        by_cell[_key(change.cell, change.cell_uuid)].append(change)
    known = {_key(t.name, t.uuid): t for t in targets}
    missing = [c for c in by_cell if c not in known]
    if missing:
        raise CannotCheck('%s names %s, which %s does not; give the '
                          'configuration (or --db-url) it was made with' % (
                              args.undo or args.plan, ', '.join(missing),
                              'the configuration' if args.config_args
                              else '--db-url'))
    for cell in by_cell:
        target = known[cell]
        if target.url is None:
            raise CannotCheck('cell %s: %s' % (target.name, target.error))
        with dburl.reading(target.url, args.table):
            pass
    outcomes = []
    journal = open(args.journal, 'a') if args.journal else None
    try:
        for cell, found in by_cell.items():
            with dburl.connect(known[cell].url, read_only=False) as conn:
                outcomes.extend(repair.apply_changes(
                    conn, args.table, found, journal))
    except KeyboardInterrupt:
        raise CannotCheck('interrupted after %d of %d changes written%s' % (
            sum(o.written for o in outcomes), len(changes),
            '; %s records them' % args.journal if args.journal else
            '')) from None
    finally:
        if journal is not None:
            journal.close()
    return outcomes


def _planned(args, targets, maps):
    from nova_migration_sm.operators import auditdb

    audits = auditdb.audit_targets(
        targets, stale_after=args.stale_after, table=args.table,
        batch_size=args.batch_size, include_deleted=args.include_deleted,
        list_rows=True)
    try:
        not_checked = audits.not_checked
        if not_checked and (args.apply or not audits.reports):
            raise CannotCheck('nothing was written: %s' % '; '.join(
                audit_cmd._error(d) for d in not_checked))
        plan, deleted = repair.plan(audits, maps)
    finally:
        audits.close()
    return plan, deleted, not_checked


def _print(args, lines, data) -> None:
    """The JSON, or the lines not written yet (a list)."""
    if args.format == 'json':
        spool.dump(data, sys.stdout)
    elif isinstance(lines, list):
        sys.stdout.write('\n'.join(lines) + '\n')


def run(args: argparse.Namespace) -> int:
    maps = _checked(args)
    if args.undo:
        changes = repair.read_journal(
            _read(args.undo, '--undo').splitlines(), args.undo)
        outcomes = _write(args, audit_cmd._targets(args), changes)
        left = any(not o.written for o in outcomes)
        result = ('RESULT: some rows moved since the repair; they were left '
                  'as they are.' if left else
                  'RESULT: every change of the journal was undone.')
        _print(args, format_outcomes(outcomes) + [result], {
            'outcomes': [dataclasses.asdict(o) for o in outcomes],
            'exit_status': LEFT if left else DONE})
        return LEFT if left else DONE
    if args.apply and args.plan:
        plan, deleted, not_checked = _saved_plan(args.plan), 0, []
        targets = audit_cmd._targets(args)
    else:
        targets = audit_cmd._targets(args)
        plan, deleted, not_checked = _planned(args, targets, maps)
    try:
        return _repair(args, targets, plan, deleted, not_checked)
    finally:
        plan.close()


def _repair(args, targets, plan, deleted, not_checked) -> int:
    """Print the plan, apply or save it; the exit status."""
    if args.apply:
        lines = []  # NOTE: printed once every change is written
    else:
        # NOTE: a dry run's table is written as it is made, the JSON's
        # lines not at all: a plan may hold millions of rows.
        lines = audit_cmd._Lines(
            None if args.format == 'json' else sys.stdout)
    format_plan(plan, deleted, lines)
    outcomes = []
    if args.apply:
        outcomes = _write(args, targets, plan.changes)
        lines += format_outcomes(outcomes)
    elif args.plan:
        with open(args.plan, 'w') as out:
            json.dump(plan.to_dict(), out, indent=2)
        lines.append('Plan saved to %s; apply it with --apply --plan %s'
                     % (args.plan, args.plan))
    status = _exit_status(args, plan, outcomes, not_checked)
    lines.append(_result(args, plan, outcomes, status))
    _print(args, lines, {'plan': plan.to_dict(), 'deleted_not_touched':
                         deleted, 'outcomes': [dataclasses.asdict(o)
                                               for o in outcomes],
                         'exit_status': status})
    if not_checked:
        sys.stdout.flush()
        print('nova-migration-sm repair: %d of %d cells not checked: %s' % (
            len(not_checked), len(targets), '; '.join(
                audit_cmd._error(d) for d in not_checked)), file=sys.stderr)
    return status


def _exit_status(args, plan, outcomes, not_checked) -> int:
    if not_checked:
        return NOT_CHECKED
    if plan.decisions or any(not o.written for o in outcomes):
        return LEFT
    if plan.changes and not args.apply:
        return LEFT
    return DONE


def _rows(count: int) -> str:
    return '%d row%s' % (count, '' if count == 1 else 's')


def _result(args, plan, outcomes, status) -> str:
    if not plan.changes and not plan.decisions:
        return 'RESULT: nothing to repair.'
    parts = []
    if args.apply:
        parts.append('%d of %d changes written' % (
            sum(o.written for o in outcomes), len(outcomes)))
        skipped = sum(not o.written for o in outcomes)
        if skipped:
            parts.append('%s skipped (moved since)' % _rows(skipped))
    elif plan.changes:
        parts.append('dry run, nothing written: %s to change with --apply'
                     % _rows(len(plan.changes)))
    if plan.decisions:
        parts.append('%s to decide (--map TYPE:OLD=NEW)'
                     % _rows(len(plan.decisions)))
    return 'RESULT: %s.' % '; '.join(parts)
