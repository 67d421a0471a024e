#!/usr/bin/env python3
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

"""Summarise a Nova test run made with the state machine enforced.

Reads the JSONL moves ``nova_migration_sm.nova.recorder`` wrote and the
``SEL.summary.json`` files ``run-nova-tests.sh`` wrote, and prints: tests
run/passed per selection (and, given a baseline results directory, the
tests that pass on plain Nova but not with the integration), moves checked
and refused (each refused move with its test and Nova frames), stale
overwrites, and per migration type the machine edges Nova's run took and
the ones it never took, with the Nova path that justifies each.

Usage:
    tools/nova/report.py --moves RESULTS/moves.jsonl --results RESULTS \\
        [--baseline BASELINE_RESULTS] [--json OUT.json]
Exit status 1 if a move was refused or a test that passed on the
baseline failed.
"""

import argparse
import collections
import json
import os
import sys

from nova_migration_sm import definitions
from nova_migration_sm import machines

SELECTIONS = ('unit', 'functional')


def load_moves(path: str) -> list[dict]:
    """Every recorded line; a missing file is no moves."""
    if not os.path.exists(path):
        return []
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]


def load_summaries(results: str | None) -> dict[str, dict]:
    """``{selection: summary}`` of a results directory."""
    found = {}
    for sel in SELECTIONS:
        path = os.path.join(results or '', sel + '.summary.json')
        if results and os.path.exists(path):
            with open(path, encoding='utf-8') as f:
                found[sel] = json.load(f)
    return found


def _failing_ids(summary: dict) -> set[str]:
    return {line.split()[0] for line in summary.get('failing', [])}


def summarise(moves: list[dict], summaries: dict,
              baseline: dict) -> dict:
    """The figures of the report, as plain data."""
    checks = [m for m in moves if m['op'] in ('create', 'save', 'copy')]
    conflicts = [m for m in moves if m['op'] == 'conflict']
    not_written = {m.get('check') for m in conflicts}
    refused = [m for m in checks if m['refused']]
    written = [m for m in checks if not m['refused'] and
               m.get('id') not in not_written]
    taken = collections.Counter(
        (m['type'], m['cross_cell'], m['from'], m['to'])
        for m in written if m['op'] != 'copy' and m['from'] != m['to'])
    per_type = []
    for migration_type, cross_cell in machines.machine_keys():
        definition = machines.get_definition(migration_type, cross_cell)
        edges = []
        for src, dst, _ in definition.edges:
            count = taken[(migration_type, cross_cell, src, dst)]
            edges.append({'from': src, 'to': dst, 'count': count,
                          'where': machines.where(migration_type, src, dst,
                                                  cross_cell)})
        per_type.append({
            'type': migration_type, 'cross_cell': cross_cell,
            'edges': len(edges),
            'exercised': sum(1 for e in edges if e['count']),
            'moves': sum(e['count'] for e in edges),
            'never_taken': [e for e in edges if not e['count']],
            'taken': [e for e in edges if e['count']]})
    # NOTE: without a baseline run, plain Nova's result is the one
    # measured (nova-test-suite.md): every selected test passes or is
    # skipped by Nova itself, so every failure is a regression.
    regressions = {
        sel: sorted(_failing_ids(summary) -
                    _failing_ids(baseline.get(sel, {})))
        for sel, summary in summaries.items()}
    return {
        'tests': {sel: {k: s.get(k) for k in
                        ('listed', 'passed', 'failed', 'skipped')}
                  for sel, s in summaries.items()},
        'baseline': {sel: {k: s.get(k) for k in
                           ('listed', 'passed', 'failed', 'skipped')}
                     for sel, s in baseline.items()},
        'regressions': regressions,
        'moves_checked': len(checks),
        'moves_by_op': dict(collections.Counter(m['op'] for m in checks)),
        'same_value_writes': sum(1 for m in written
                                 if m['op'] == 'save' and
                                 m['from'] == m['to']),
        'stale_overwrites': len(conflicts),
        'conflicts': [{k: m.get(k) for k in
                       ('test', 'type', 'cross_cell', 'from', 'actual',
                        'to', 'nova')} for m in conflicts],
        'moves_refused': len(refused),
        'refused': [{k: m.get(k) for k in
                     ('test', 'op', 'type', 'cross_cell', 'from', 'to',
                      'nova')} for m in refused],
        'tests_with_moves': len({m['test'] for m in checks if m['test']}),
        'per_type': per_type,
    }


def _status(value) -> str:
    return '(create)' if value is definitions.CREATE else value


def render(report: dict) -> str:
    """The report as text."""
    out = []
    for sel, counts in report['tests'].items():
        line = '%s: %s passed, %s failed, %s skipped (of %s)' % (
            sel, counts['passed'], counts['failed'], counts['skipped'],
            counts['listed'])
        if sel in report['baseline']:
            base = report['baseline'][sel]
            line += '; plain Nova: %s passed, %s failed' % (
                base['passed'], base['failed'])
        out.append(line)
    for sel, ids in report['regressions'].items():
        if not ids:
            continue
        out.append('%s: %d tests pass on plain Nova but not with the '
                   'integration' % (sel, len(ids)))
        out.extend('  ' + test for test in ids)
    out.append('moves checked: %d (%s) in %d tests; same-value writes: %d'
               % (report['moves_checked'], ', '.join(
                   '%s %d' % kv for kv in sorted(
                       report['moves_by_op'].items())),
                  report['tests_with_moves'],
                  report['same_value_writes']))
    out.append('stale overwrites (compare-and-swap found a newer status, '
               're-checked from it): %d' % report['stale_overwrites'])
    for m in report['conflicts']:
        out.append('  %s %s: saw %s, row held %s, wrote %s  [%s]  %s' % (
            m['type'], 'cross-cell' if m['cross_cell'] else '',
            m['from'], m['actual'], m['to'], m['test'],
            '; '.join(m['nova'][:1])))
    out.append('moves refused: %d' % report['moves_refused'])
    for m in report['refused']:
        out.append('  REFUSED %s %s%s: %s -> %s  [%s]' % (
            m['op'], m['type'], ' cross-cell' if m['cross_cell'] else '',
            m['from'], m['to'], m['test']))
        out.extend('      at ' + frame for frame in m['nova'])
    out.append('edges exercised per type (moves written, same-value '
               'excluded):')
    for t in report['per_type']:
        out.append('  %-15s %-10s %2d of %2d edges, %4d moves' % (
            t['type'], 'cross-cell' if t['cross_cell'] else 'same-cell',
            t['exercised'], t['edges'], t['moves']))
    for t in report['per_type']:
        if not t['never_taken']:
            continue
        out.append('never taken, %s%s (Nova path):' % (
            t['type'], ' cross-cell' if t['cross_cell'] else ''))
        for e in t['never_taken']:
            out.append('  %s -> %s: %s' % (_status(e['from']), e['to'],
                                           e['where']))
    return '\n'.join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--moves', required=True)
    parser.add_argument('--results')
    parser.add_argument('--baseline')
    parser.add_argument('--json')
    args = parser.parse_args(argv)
    report = summarise(load_moves(args.moves), load_summaries(args.results),
                       load_summaries(args.baseline))
    print(render(report))
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(report, f, indent=1)
    failed = report['moves_refused'] or any(report['regressions'].values())
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
