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

"""Run Nova's own tests shard by shard; resume, re-run what a hang left.

Called by ``run-nova-tests.sh`` (which sets up the venv) with the venv's
Python; see that script for the options and the environment. Per shard:
one ``stestr run --load-list`` under :mod:`stall_watch`; when the watchdog
killed it, the tests it left unfinished or unrun run again (at most
``NOVA_RETRIES`` times; a test that ran and failed is never retried), and
the re-run's outcomes replace the first pass's for those ids. The shard's
final outcomes go to ``RESULTS/shards/SHARD.json``; a shard with that
file is done and is skipped by a later run unless ``--rerun`` names it.
Then ``report.py`` judges the results, and the last line gives the
closing ``N passed, M failed`` over every shard of the plan.
"""

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys

import shard_plan
import stall_watch
import subunit_results

HERE = os.path.dirname(os.path.abspath(__file__))
# Nova's tox env for unit and functional tests ([testenv:functional]);
# LC_ALL=C.UTF-8 because en_US.utf-8 may not exist here.
NOVA_ENV = {
    'OS_STDOUT_CAPTURE': '1', 'OS_STDERR_CAPTURE': '1',
    'OS_TEST_TIMEOUT': '160', 'LANGUAGE': 'en_US', 'LC_ALL': 'C.UTF-8',
    'PYTHONDONTWRITEBYTECODE': '1', 'NOVA_RAISE_ON_GREENLET_LEAK': 'True',
    'OS_NOVA_DISABLE_EVENTLET_PATCHING': 'False',
}
# stestr's own subunit-trace; `python -m stestr.subunit_trace` misses an
# import.
TRACE = ('import sys, subunit.test_results; from stestr import subunit_trace;'
         ' sys.argv[1:] = ["--fails"]; subunit_trace.main()')


def log(message: str) -> None:
    print('== ' + message, file=sys.stderr, flush=True)


def _number(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    if not value.isdigit():
        raise ValueError('%s=%s is not a whole number' % (name, value))
    return int(value)


class Run:
    """One invocation: where things are and how tests are run."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.venv = os.path.abspath(args.venv)
        self.sdist = os.path.abspath(args.sdist)
        self.python = os.path.join(self.venv, 'bin', 'python')
        self.stestr = os.path.join(self.venv, 'bin', 'stestr')
        self.results = os.path.abspath(args.results)
        self.integration = os.environ.get('NOVA_SM_INTEGRATION') == '1'
        self.concurrency = str(_number('NOVA_TEST_CONCURRENCY', 2))
        self.stall = _number('NOVA_STALL_SECONDS', 300)
        self.limit = _number('NOVA_MAX_SECONDS', 3600)
        self.retries = _number('NOVA_RETRIES', 2)
        self.py_spy = stall_watch.find_py_spy(self.venv)
        self.env = dict(os.environ)
        for name, value in NOVA_ENV.items():
            self.env.setdefault(name, value)
        self.env['PATH'] = os.path.join(self.venv, 'bin') + os.pathsep + \
            os.environ.get('PATH', '')
        self.env['VIRTUAL_ENV'] = self.venv
        for var in (stall_watch.DUMP_ENV, 'NOVA_MIGRATION_SM_RECORD'):
            self.env.pop(var, None)
        if self.integration:
            # oslo.config reads OS_<GROUP>__<OPTION>.
            self.env.setdefault('OS_MIGRATION_STATE_MACHINE__ENFORCEMENT',
                                'strict')

    def path(self, *parts: str) -> str:
        return os.path.join(self.results, *parts)

    def attempt(self, label: str, test_path: str,
                ids: list[str]) -> tuple[stall_watch.Attempt, dict]:
        """One watched stestr run of ``ids``; its outcomes."""
        listing = shard_plan.list_path(self.results, label)
        with open(listing, 'w', encoding='utf-8') as f:
            f.writelines(test_id + '\n' for test_id in ids)
        repo = self.path('stestr', label)
        os.makedirs(repo, exist_ok=True)
        if not os.path.isdir(os.path.join(repo, '.stestr')):
            subprocess.run([self.stestr, '-u', repo, 'init'], cwd=self.sdist,
                           env=self.env, check=True,
                           stdout=subprocess.DEVNULL)
        env = dict(self.env)
        if self.integration:
            os.makedirs(self.path('moves'), exist_ok=True)
            moves = self.path('moves', label + '.jsonl')
            if os.path.exists(moves):
                os.unlink(moves)
            env['NOVA_MIGRATION_SM_RECORD'] = moves
        log('%s: %d tests, %s workers, log %s' % (
            label, len(ids), self.concurrency, self.path(label + '.log')))
        with open(self.path(label + '.log'), 'wb') as trace_out:
            trace = subprocess.Popen([self.python, '-c', TRACE],
                                     stdin=subprocess.PIPE, stdout=trace_out,
                                     stderr=subprocess.STDOUT, env=self.env)
        result = stall_watch.run(
            [self.stestr, '-u', repo, '--test-path', test_path, 'run',
             '--subunit', '--concurrency', self.concurrency,
             '--load-list', listing],
            self.sdist, env, self.path(label + '.subunit'),
            self.path(label + '.stderr.log'), self.path('dumps', label),
            stall_seconds=self.stall, max_seconds=self.limit,
            live_log=trace, py_spy=self.py_spy,
            log=lambda m: log('%s: %s' % (label, m)))
        try:
            reported = subunit_results.read_stream(
                self.path(label + '.subunit'))
        except Exception as exc:  # a stream we cannot read ran nothing
            log('%s: cannot read the subunit stream: %s' % (label, exc))
            reported = {}
        found = subunit_results.outcomes(ids, reported)
        log('%s: wall %ds, stestr exit %d%s' % (
            label, result.wall_seconds, result.exit_code,
            ', killed: ' + result.killed if result.killed else ''))
        return result, found

    def shard(self, shard: shard_plan.Shard) -> dict:
        """Run a shard, re-running what a hung worker left; its result."""
        attempts, found, ids, rerun = [], None, shard.ids, []
        for number in range(self.retries + 1):
            label = shard.name + ('.retry%d' % number if number else '')
            result, this = self.attempt(label, shard.test_path, ids)
            found = this if found is None else \
                subunit_results.merge(found, this)
            attempts.append({
                'label': label, 'tests': len(ids),
                'wall_seconds': result.wall_seconds,
                'stestr_exit': result.exit_code, 'killed': result.killed,
                'dumps': [os.path.relpath(p, self.results)
                          for p in result.dumps],
                'counts': subunit_results.counts(this)})
            if not result.killed:
                break
            ids = subunit_results.left_unrun(this)
            if not ids or number == self.retries:
                break
            rerun += ids
            log('%s: a hung worker left %d tests; running them again' % (
                shard.name, len(ids)))
        outcome = {
            'name': shard.name, 'test_path': shard.test_path,
            'listed': len(shard.ids),
            'counts': subunit_results.counts(found),
            'wall_seconds': sum(a['wall_seconds'] for a in attempts),
            'killed': sum(1 for a in attempts if a['killed']),
            'rerun': sorted(set(rerun)),
            'attempts': attempts,
            'finished_at': datetime.datetime.now().isoformat(
                timespec='seconds'),
            'outcomes': found}
        os.makedirs(self.path('shards'), exist_ok=True)
        with open(self.path('shards', shard.name + '.json'), 'w',
                  encoding='utf-8') as f:
            json.dump(outcome, f, indent=1, sort_keys=True)
        return outcome


def _plan(run: Run) -> list[shard_plan.Shard]:
    """The saved plan, or a new one (then saved)."""
    saved = shard_plan.load(run.results)
    kind = 'full' if run.args.full else \
        'tests' if run.args.tests else 'fast'
    if saved:
        if saved[0] != kind:
            raise shard_plan.PlanError(
                '%s holds a %s run, not %s; use another results dir' % (
                    run.results, saved[0], kind))
        return saved[1]

    def lister(test_path, regex):
        return shard_plan.stestr_list(
            run.sdist, run.stestr, run.env, test_path, regex,
            repo=run.path('stestr', 'list'))

    if kind == 'full':
        shards = shard_plan.full_plan(lister)
    elif kind == 'tests':
        path = run.args.test_path
        shards = [shard_plan.Shard('tests', path,
                                   lister(path, run.args.tests))]
        if not shards[0].ids:
            raise shard_plan.PlanError('no test matches %s under %s' % (
                run.args.tests, path))
    else:
        shards = shard_plan.fast_plan(run.args.selections)
    shard_plan.save(run.results, kind, shards)
    return shards


def _line(result: dict) -> str:
    counts = result['counts']
    line = '%s: %d passed, %d failed, %d skipped' % (
        result['name'], counts['passed'], counts['failed'],
        counts['skipped'])
    if result['rerun']:
        line += ' (%d re-run after a hung worker)' % len(result['rerun'])
    return line


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--workdir', required=True)
    parser.add_argument('--venv', required=True)
    parser.add_argument('--sdist', required=True)
    parser.add_argument('--results')
    parser.add_argument('--full', action='store_true')
    parser.add_argument('--tests', metavar='REGEX')
    parser.add_argument('--test-path', default=shard_plan.FUNCTIONAL_PATH)
    parser.add_argument('--rerun', action='append', default=[],
                        metavar='SHARD', help="a shard name, or 'all'")
    parser.add_argument('--selections', default=HERE,
                        help='directory of NAME-selection.txt (fast plan)')
    parser.add_argument('names', nargs='*', metavar='SHARD',
                        help='run only these shards of the plan')
    args = parser.parse_args(argv)
    if not args.results:
        args.results = os.environ.get('NOVA_RESULTS_DIR') or os.path.join(
            args.workdir, 'results',
            'full' if args.full else datetime.datetime.now().strftime(
                '%Y%m%dT%H%M%S'))
    return args


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # the watched run is killed on the way


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    try:
        run = Run(parse(argv))
        os.makedirs(run.results, exist_ok=True)
        shards = _plan(run)
    except (shard_plan.PlanError, OSError, ValueError) as exc:
        print('run-nova-tests: %s' % exc, file=sys.stderr)
        return 2
    unknown = set(run.args.names) - {s.name for s in shards}
    if unknown:
        print('run-nova-tests: no shard %s in this plan (%s)' % (
            ', '.join(sorted(unknown)), ', '.join(s.name for s in shards)),
            file=sys.stderr)
        return 2
    log('%s results %s, %d shards' % (
        'nova_migration_sm, enforcement %s,' % run.env.get(
            'OS_MIGRATION_STATE_MACHINE__ENFORCEMENT') if run.integration
        else 'plain Nova,', run.results, len(shards)))
    ran, complete = [], True
    for shard in shards:
        done = run.path('shards', shard.name + '.json')
        wanted = not run.args.names or shard.name in run.args.names
        again = 'all' in run.args.rerun or shard.name in run.args.rerun
        if os.path.exists(done) and not again:
            with open(done, encoding='utf-8') as f:
                result = json.load(f)
            log('%s: done earlier (%s)' % (shard.name,
                                           result['finished_at']))
        elif wanted:
            result = run.shard(shard)
        else:
            complete = False
            continue
        ran.append(result)
        print(_line(result), flush=True)
    print('results: %s' % run.results, file=sys.stderr)
    report = [run.python, os.path.join(HERE, 'report.py'),
              '--results', run.results, '--json', run.path('report.json')]
    if run.integration:
        report += ['--moves', run.path('moves')]
    baseline = os.environ.get('NOVA_BASELINE_RESULTS')
    if baseline:
        report += ['--baseline', baseline]
    print('== report (%s)' % ('nova_migration_sm' if run.integration
                              else 'plain Nova'), flush=True)
    verdict = subprocess.run(report, env=run.env).returncode
    if not complete:
        log('not every shard of the plan has run: the counts are partial')
    # One closing line for CI, over all shards that ran.
    print('%d passed, %d failed' % (
        sum(r['counts']['passed'] for r in ran),
        sum(r['counts']['failed'] for r in ran)))
    if verdict == 2:  # report.py could not read its input
        return 2
    return 0 if verdict == 0 and complete else 1


if __name__ == '__main__':
    sys.exit(main())
