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

"""Which Nova tests a run holds, cut into shards, and their packages.

Three plans:

``fast``
    The committed CI selections: ``unit-selection.txt`` (54 ids) and
    ``functional-selection.txt`` (333 ids), one shard each.
``full``
    Every functional test ``stestr list`` finds in the sdist (2,811 in
    Nova 34.0.0) and every unit test under :data:`UNIT_PACKAGES`, in
    shards of at most :data:`FUNCTIONAL_SHARD` / :data:`UNIT_SHARD` ids,
    so that each shard runs well inside 60 minutes on 2 cores.
``tests``
    The ids matching one regex (e.g. a single class, for solo runs).

A plan is written once into the results directory (``plan.json`` and
``lists/SHARD.txt``) and read back on resume, so a resumed run runs the
same shards.
"""

import dataclasses
import glob
import json
import math
import os
import re
import subprocess

UNIT_PATH = './nova/tests/unit'
FUNCTIONAL_PATH = './nova/tests/functional'
UNIT_PACKAGES = ('compute', 'conductor', 'objects', 'db', 'scheduler',
                 'api.openstack.compute')
# The 333-test functional selection took ~9.5 min with 2 workers; the
# unit packages (~9,700 tests) take ~10 min in all.
FUNCTIONAL_SHARD = 400
UNIT_SHARD = 2500


@dataclasses.dataclass
class Shard:
    """One stestr run: a name, its test path and its test ids."""

    name: str
    test_path: str
    ids: list[str]


class PlanError(Exception):
    """The tests to run could not be listed."""


def stestr_list(sdist: str, stestr: str, env: dict[str, str],
                test_path: str, regex: str | None = None,
                repo: str | None = None) -> list[str]:
    """The test ids ``stestr list`` finds under ``test_path``."""
    repo = repo or os.path.join(sdist, '.stestr-list')
    os.makedirs(repo, exist_ok=True)
    if not os.path.isdir(os.path.join(repo, '.stestr')):
        subprocess.run([stestr, '-u', repo, 'init'], cwd=sdist, env=env,
                       check=True, stdout=subprocess.DEVNULL)
    cmd = [stestr, '-u', repo, '--test-path', test_path, 'list']
    proc = subprocess.run(cmd + ([regex] if regex else []), cwd=sdist,
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise PlanError('stestr list %s failed (exit %d): %s' % (
            test_path, proc.returncode, proc.stderr.strip()[-2000:]))
    return [line.strip() for line in proc.stdout.splitlines()
            if re.match(r'^[\w.]+\.\w', line.strip())]


def chunks(name: str, test_path: str, ids: list[str],
           most: int) -> list[Shard]:
    """``ids`` in sorted, even chunks of at most ``most``: NAME-01, ..."""
    ids = sorted(ids)
    count = max(1, math.ceil(len(ids) / most))
    size = math.ceil(len(ids) / count)
    return [Shard('%s-%02d' % (name, i + 1), test_path,
                  ids[i * size:(i + 1) * size]) for i in range(count)]


def fast_plan(selections_dir: str) -> list[Shard]:
    """Each ``NAME-selection.txt`` of a directory, one shard each.

    The test path is ``./nova/tests/NAME``; ``unit`` runs first.
    """
    shards = []
    for path in sorted(glob.glob(os.path.join(selections_dir,
                                              '*-selection.txt')),
                       key=lambda p: ('/unit-' not in p, p)):
        name = os.path.basename(path)[:-len('-selection.txt')]
        with open(path, encoding='utf-8') as f:
            ids = [line.strip() for line in f if line.strip()]
        shards.append(Shard(name, './nova/tests/' + name, ids))
    if not shards:
        raise PlanError('no *-selection.txt in %s' % selections_dir)
    return shards


def full_plan(lister, functional_shard: int = FUNCTIONAL_SHARD,
              unit_shard: int = UNIT_SHARD) -> list[Shard]:
    """Every functional test and the unit packages, in shards.

    ``lister(test_path, regex)`` returns the ids (:func:`stestr_list`).
    """
    unit_regex = r'^nova\.tests\.unit\.(%s)\.' % '|'.join(
        re.escape(p) for p in UNIT_PACKAGES)
    functional = lister(FUNCTIONAL_PATH, None)
    unit = lister(UNIT_PATH, unit_regex)
    if not functional or not unit:
        raise PlanError('stestr list found %d functional and %d unit tests'
                        % (len(functional), len(unit)))
    return (chunks('functional', FUNCTIONAL_PATH, functional,
                   functional_shard) +
            chunks('unit', UNIT_PATH, unit, unit_shard))


def package_of(test_id: str) -> str:
    """The package a test id reports under.

    Unit tests: their package among :data:`UNIT_PACKAGES` (``unit.db``
    holds ``unit.db.main``). Functional tests: ``functional.SUBPACKAGE``,
    or ``functional`` for the top-level modules.
    """
    parts = test_id.split('.')
    if parts[:3] == ['nova', 'tests', 'unit']:
        dotted = '.'.join(parts[3:]) + '.'
        for package in sorted(UNIT_PACKAGES, key=len, reverse=True):
            if dotted.startswith(package + '.'):
                return 'unit.' + package
        return 'unit'
    if parts[:3] == ['nova', 'tests', 'functional'] and len(parts) > 3:
        if parts[3].startswith('test_'):
            return 'functional'
        return 'functional.' + parts[3]
    return '.'.join(parts[:3])


def save(results: str, kind: str, shards: list[Shard]) -> None:
    """Write ``plan.json`` and one list file per shard."""
    os.makedirs(os.path.join(results, 'lists'), exist_ok=True)
    for shard in shards:
        with open(list_path(results, shard.name), 'w',
                  encoding='utf-8') as f:
            f.writelines(test_id + '\n' for test_id in shard.ids)
    with open(os.path.join(results, 'plan.json'), 'w',
              encoding='utf-8') as f:
        json.dump({'kind': kind,
                   'shards': [{'name': s.name, 'test_path': s.test_path,
                               'tests': len(s.ids)} for s in shards]},
                  f, indent=1)


def load(results: str) -> tuple[str, list[Shard]] | None:
    """The plan saved in ``results``, or None."""
    path = os.path.join(results, 'plan.json')
    if not os.path.exists(path):
        return None
    with open(path, encoding='utf-8') as f:
        plan = json.load(f)
    shards = []
    for entry in plan['shards']:
        with open(list_path(results, entry['name']),
                  encoding='utf-8') as f:
            ids = [line.strip() for line in f if line.strip()]
        shards.append(Shard(entry['name'], entry['test_path'], ids))
    return plan['kind'], shards


def list_path(results: str, name: str) -> str:
    """Where a shard's (or an attempt's) id list lives."""
    return os.path.join(results, 'lists', name + '.txt')
