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

"""Judge a run of Nova's tests: tests per package, regressions, moves.

Reads what ``runner.py`` wrote in a results directory
(``shards/SHARD.json``: the final outcome of every test, re-runs
included) and, with ``--moves``, the JSONL lines ``nova_sm_testhooks``
recorded (a file, or a directory of ``*.jsonl``). Prints:

* tests listed/run/passed/failed/skipped per shard and per package;
* regressions: tests failing here that do not fail in ``--baseline`` (a
  plain-Nova results directory; ids compared without their
  ``(scenario)`` suffix). Without a baseline every failing test counts;
* moves checked, refused (each with its test and Nova frames), warned,
  conflicts (a compare-and-swap found another status), same-value
  writes, copies, race moves taken (per type, ``persisted -> to``, with
  the race's name), and per migration type the lifecycle edges
  (``edges`` and ``late`` of each built ``machines.Machine``) taken
  and never taken; the
  races never taken are listed apart.

Exit status: 0 only for a run checked and clean; 1 on a regression, a
refused or warned move, a move the tables do not explain, or an
integration run that recorded no move at all; 2 when the results
directory holds no test results.
"""

import argparse
import collections
import glob
import json
import os
import sys
import typing

from nova_migration_sm import machines
import shard_plan
import subunit_results

CREATE = None
"""``from`` of a creation in the report's JSON (``machines.CREATE`` is no
JSON value)."""
UNKNOWN = machines.UNKNOWN
Outcome = machines.Outcome
REFUSALS = (Outcome.REFUSED, Outcome.WARNED)


class ReportError(Exception):
    """The input cannot be read."""


def load_shards(results: str) -> dict[str, dict]:
    """``{shard: result}`` of a results directory."""
    found = {}
    for path in sorted(glob.glob(os.path.join(results, 'shards',
                                              '*.json'))):
        with open(path, encoding='utf-8') as f:
            result = json.load(f)
        found[result['name']] = result
    return found


def load_moves(path: str) -> list[dict]:
    """Every recorded move, from a JSONL file or a directory of them."""
    paths = sorted(glob.glob(os.path.join(path, '*.jsonl'))) \
        if os.path.isdir(path) else [path] if os.path.exists(path) else []
    moves = []
    for name in paths:
        with open(name, encoding='utf-8') as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    moves.append(json.loads(line))
                except ValueError:
                    raise ReportError('%s:%d is not JSON' % (name, number))
    return moves


def _outcomes(shards: dict[str, dict]) -> dict[str, str]:
    found: dict[str, str] = {}
    for result in shards.values():
        found.update(result['outcomes'])
    return found


def test_figures(shards: dict[str, dict]) -> dict:
    """Counts per shard and per package."""
    per_package: dict[str, collections.Counter] = collections.defaultdict(
        collections.Counter)
    listed: dict[str, set[str]] = collections.defaultdict(set)
    for test_id, outcome in _outcomes(shards).items():
        package = shard_plan.package_of(test_id)
        listed[package].add(subunit_results.base_id(test_id))
        counter = per_package[package]
        counter['tests'] += 1
        if outcome != subunit_results.DID_NOT_RUN:
            counter['run'] += 1
        if subunit_results.is_failure(outcome):
            counter['failed'] += 1
        else:
            counter[outcome] += 1
    for package, ids in listed.items():
        per_package[package]['listed'] = len(ids)
    keys = ('listed', 'tests', 'run', 'passed', 'failed', 'skipped')
    return {
        'shards': {name: dict(subunit_results.counts(r['outcomes']),
                              listed=r['listed'],
                              wall_seconds=r['wall_seconds'],
                              killed=r['killed'], rerun=len(r['rerun']))
                   for name, r in shards.items()},
        'packages': {package: {k: counter[k] for k in keys}
                     for package, counter in sorted(per_package.items())},
    }


def _failing(shards: dict[str, dict]) -> set[str]:
    return {subunit_results.base_id(test_id)
            for test_id, outcome in _outcomes(shards).items()
            if subunit_results.is_failure(outcome)}


def regressions(shards: dict[str, dict],
                baseline: dict[str, dict] | None) -> dict:
    """Tests failing here and not on the baseline (all, without one)."""
    failing = _failing(shards)
    if baseline is None:
        return {'baseline': False, 'ids': sorted(failing), 'fixed': []}
    before = _failing(baseline)
    known = {subunit_results.base_id(test_id)
             for test_id in _outcomes(baseline)}
    return {'baseline': True,
            'ids': sorted(failing - before),
            'not_in_baseline': sorted(failing - known),
            'fixed': sorted((before & {subunit_results.base_id(t)
                                       for t in _outcomes(shards)}) -
                            failing)}


def machine_tables(built: typing.Iterable[typing.Any]) -> dict:
    """``{(type, cross_cell): tables}`` of the built machines.

    Each :class:`nova_migration_sm.machines.Machine` holds ``edges`` and
    ``late`` (``FROM, TO, WHERE``) and ``races`` (``PERSISTED, TO,
    WHERE, RACE``); they are listed as they are, nothing is derived.
    """
    tables = {}
    for machine in built:
        lifecycle = [(CREATE if src is machines.CREATE else src, dst, where)
                     for src, dst, where in machine.edges + machine.late]
        races = [tuple(race) for race in machine.races]
        for migration_type in machine.migration_types:
            tables[(migration_type, machine.cross_cell_move)] = {
                'lifecycle': lifecycle, 'races': races}
    return tables


def _brief(move: dict) -> dict:
    return {k: move.get(k) for k in ('test', 'op', 'type', 'cross_cell',
                                     'seen', 'persisted', 'to', 'outcome',
                                     'nova')}


def move_figures(moves: list[dict], tables: dict) -> dict:
    """What the recorded moves did, against the machine tables."""
    lifecycle = collections.Counter()
    races = collections.Counter()
    unexplained, unplaced = [], 0
    for move in moves:
        key = (move['type'], bool(move['cross_cell']))
        table = tables.get(key) or {'lifecycle': [], 'races': []}
        edges = {(s, d) for s, d, _ in table['lifecycle']}
        race_edges = {(p, t) for p, t, _, _ in table['races']}
        # The move starts from what the row held; a writer that wrote
        # under the condition "still holds what I saw" started from seen.
        src = CREATE if move['outcome'] == Outcome.CREATE else \
            move['persisted'] if move['persisted'] != UNKNOWN else \
            move['seen']
        edge = (src, move['to'])
        if move['outcome'] not in (Outcome.CREATE, Outcome.LIFECYCLE,
                                   Outcome.RACE, Outcome.ALLOWED):
            continue
        if src == UNKNOWN:
            unplaced += 1  # judged without reading the row: no edge known
        elif move['outcome'] != Outcome.RACE and edge in edges:
            lifecycle[key + edge] += 1
        elif move['outcome'] != Outcome.LIFECYCLE and edge in race_edges:
            races[key + edge] += 1
        else:
            unexplained.append(_brief(move))
    per_type = []
    for (migration_type, cross_cell), table in sorted(
            tables.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        key = (migration_type, cross_cell)
        edges = [{'from': s, 'to': d, 'where': w,
                  'count': lifecycle[key + (s, d)]}
                 for s, d, w in table['lifecycle']]
        race_moves = [{'persisted': p, 'to': t, 'where': w, 'race': r,
                       'count': races[key + (p, t)]}
                      for p, t, w, r in table['races']]
        per_type.append({
            'type': migration_type, 'cross_cell': cross_cell,
            'edges': len(edges),
            'taken': [e for e in edges if e['count']],
            'never_taken': [e for e in edges if not e['count']],
            'races': len(race_moves),
            'races_taken': [r for r in race_moves if r['count']],
            'races_never_taken': [r for r in race_moves if not r['count']],
        })
    outcome = collections.Counter(m['outcome'] for m in moves)
    return {
        'moves_checked': len(moves),
        'by_outcome': dict(sorted(outcome.items())),
        'by_op': dict(sorted(collections.Counter(
            m['op'] for m in moves).items())),
        'tests_with_moves': len({m['test'] for m in moves if m['test']}),
        'refused': [_brief(m) for m in moves if m['outcome'] in REFUSALS],
        'conflicts': [_brief(m) for m in moves
                      if m['outcome'] == Outcome.CONFLICT],
        'same_value': outcome[Outcome.SAME_VALUE],
        'race_moves': sum(races.values()),
        'unplaced': unplaced,
        'unexplained': unexplained,
        'per_type': per_type,
    }


def _cc(cross_cell: bool) -> str:
    return ' cross-cell' if cross_cell else ''


def _status(value: str | None) -> str:
    return '(create)' if value is CREATE else value


def render_tests(figures: dict, regress: dict) -> list[str]:
    out = ['%-16s %6s %6s %6s %6s %6s %7s %s' % (
        'shard', 'listed', 'passed', 'failed', 'skip', 'wall', 'killed',
        're-run')]
    for name, s in figures['shards'].items():
        out.append('%-16s %6d %6d %6d %6d %5dm %7d %d' % (
            name, s['listed'], s['passed'], s['failed'], s['skipped'],
            round(s['wall_seconds'] / 60), s['killed'], s['rerun']))
    out.append('%-30s %6s %6s %6s %6s %6s %6s' % (
        'package', 'listed', 'tests', 'run', 'passed', 'failed', 'skip'))
    for package, c in figures['packages'].items():
        out.append('%-30s %6d %6d %6d %6d %6d %6d' % (
            package, c['listed'], c['tests'], c['run'], c['passed'],
            c['failed'], c['skipped']))
    out.append('(listed: ids as stestr lists them; tests: as run, one per '
               'scenario)')
    if regress['baseline']:
        out.append('regressions (failing here, not on the baseline): %d'
                   % len(regress['ids']))
        out.extend('  ' + test_id + (
            '  (not in the baseline)'
            if test_id in regress['not_in_baseline'] else '')
            for test_id in regress['ids'])
        if regress['fixed']:
            out.append('failing on the baseline, passing here: %d' %
                       len(regress['fixed']))
    else:
        out.append('no baseline: each of the %d failing tests counts' %
                   len(regress['ids']))
        out.extend('  ' + test_id for test_id in regress['ids'][:50])
        if len(regress['ids']) > 50:
            out.append('  ... %d more in report.json' %
                       (len(regress['ids']) - 50))
    return out


def render_moves(m: dict) -> list[str]:
    out = ['moves checked: %d in %d tests (%s; %s)' % (
        m['moves_checked'], m['tests_with_moves'],
        ', '.join('%s %d' % kv for kv in m['by_op'].items()),
        ', '.join('%s %d' % kv for kv in m['by_outcome'].items()))]
    out.append('moves refused: %d' % len(m['refused']))
    for r in m['refused']:
        out.append('  %s %s %s%s: seen %s, persisted %s, to %s  [%s]' % (
            r['outcome'].upper(), r['op'], r['type'], _cc(r['cross_cell']),
            r['seen'], r['persisted'], r['to'], r['test']))
        out.extend('      at ' + frame for frame in r['nova'])
    out.append('conflicts (compare-and-swap found another status): %d' %
               len(m['conflicts']))
    for c in m['conflicts']:
        out.append('  %s%s: seen %s, persisted %s, to %s  [%s]  %s' % (
            c['type'], _cc(c['cross_cell']), c['seen'], c['persisted'],
            c['to'], c['test'], '; '.join(c['nova'][:1])))
    out.append('same-value writes: %d' % m['same_value'])
    out.append('race moves taken: %d' % m['race_moves'])
    for t in m['per_type']:
        for r in t['races_taken']:
            out.append('  %s%s %s -> %s: %d (%s)' % (
                t['type'], _cc(t['cross_cell']), r['persisted'], r['to'],
                r['count'], r['race']))
    if m['unplaced']:
        out.append('allowed moves whose start was never read (no edge '
                   'counted): %d' % m['unplaced'])
    if m['unexplained']:
        out.append('moves the tables do not explain: %d' %
                   len(m['unexplained']))
        out.extend('  %(outcome)s %(type)s: %(persisted)s -> %(to)s  '
                   '[%(test)s]' % u for u in m['unexplained'])
    out.append('lifecycle edges taken per type (moves, same-value and '
               'races apart):')
    for t in m['per_type']:
        out.append('  %-15s %-10s %2d of %2d edges, %5d moves; races %d '
                   'of %d' % (
                       t['type'], 'cross-cell' if t['cross_cell']
                       else 'same-cell', len(t['taken']), t['edges'],
                       sum(e['count'] for e in t['taken']),
                       len(t['races_taken']), t['races']))
    for t in m['per_type']:
        if t['never_taken']:
            out.append('never taken, %s%s (Nova path):' % (
                t['type'], _cc(t['cross_cell'])))
            out.extend('  %s -> %s: %s' % (_status(e['from']), e['to'],
                                           e['where'])
                       for e in t['never_taken'])
    for t in m['per_type']:
        if t['races_never_taken']:
            out.append('races never taken, %s%s:' % (
                t['type'], _cc(t['cross_cell'])))
            out.extend('  %s -> %s: %s' % (r['persisted'], r['to'],
                                           r['race'])
                       for r in t['races_never_taken'])
    return out


def judge(results: str, baseline: str | None, moves: str | None,
          built: typing.Iterable[typing.Any] | None = None
          ) -> tuple[dict, list[str], list[str]]:
    """The report as data, its text, and the reasons it fails."""
    shards = load_shards(results)
    if not shards:
        raise ReportError('no test results in %s' % results)
    base = None
    if baseline:
        base = load_shards(baseline)
        if not base:
            raise ReportError('no test results in the baseline %s' %
                              baseline)
    report = {'tests': test_figures(shards),
              'regressions': regressions(shards, base)}
    text = render_tests(report['tests'], report['regressions'])
    failures = []
    if report['regressions']['ids']:
        failures.append('%d regressions' % len(report['regressions']['ids']))
    if moves is not None:
        tables = machine_tables(built if built is not None
                                else machines.built())
        report['moves'] = figures = move_figures(load_moves(moves), tables)
        text += render_moves(figures)
        if not figures['moves_checked']:
            failures.append('no move was recorded: nothing was checked')
        if figures['refused']:
            failures.append('%d moves refused' % len(figures['refused']))
        if figures['unexplained']:
            failures.append('%d moves the tables do not explain' %
                            len(figures['unexplained']))
    return report, text, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--results', required=True)
    parser.add_argument('--baseline')
    parser.add_argument('--moves')
    parser.add_argument('--json')
    args = parser.parse_args(argv)
    try:
        report, text, failures = judge(args.results, args.baseline,
                                       args.moves)
    except (ReportError, OSError, KeyError) as exc:
        print('report: %s' % exc, file=sys.stderr)
        return 2
    print('\n'.join(text))
    report['failures'] = failures
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(report, f, indent=1)
    print('verdict: %s' % ('; '.join(failures) if failures else 'clean'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
