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

"""Sum the figures the functional tests recorded, per backend.

``NOVA_MIGRATION_SM_FIGURES_FILE=F stestr run``, then
``python -m tests.functional.figures F`` prints Markdown tables: the flows
per backend and transport, the racing writers per suite (``library``: the
reference objects; ``nova``: Nova's objects and DB API), backend and check
(``on``, or the mutation that broke it), and the faults injected.
"""

import collections
import json
import os
import sys

FIGURES_ENV = 'NOVA_MIGRATION_SM_FIGURES_FILE'

FLOW_KEY = ('backend', 'transport')
FLOW_COLUMNS = ('flows',)
RACE_KEY = ('suite', 'backend', 'check')
RACE_COLUMNS = ('writers', 'attempts', 'written', 'refused', 'conflicts',
                'race_moves', 'illegal_persisted', 'lost_updates',
                'unacknowledged_writes', 'errors', 'certification_failures',
                'deadlocks_surfaced')
FAULT_KEY = ('fault', 'backend', 'transport')
FAULT_COLUMNS = ('faults', 'acknowledged', 'caller_errors',
                 'illegal_or_lost')
MAXIMA = ('writers',)
"""Columns that show the largest value recorded, not the sum."""


def record(**figures) -> None:
    """Append a JSON line of figures to the figures file, if one is set.

    For the tests that cannot import :mod:`tests.functional.fixtures`
    (the Nova ones, in Nova's venv); the format is the same.
    """
    path = os.environ.get(FIGURES_ENV)
    if path:
        with open(path, 'a') as stream:
            stream.write(json.dumps(figures, sort_keys=True) + '\n')


def _table(lines, key, columns) -> list[str]:
    totals = collections.defaultdict(collections.Counter)
    for figures in lines:
        counts = totals[tuple(str(figures.get(k, '')) for k in key)]
        for column in columns:
            value = figures.get(column, 0)
            if column in MAXIMA:
                counts[column] = max(counts[column], value)
            else:
                counts[column] += value
    if not totals:
        return []
    out = ['| %s | %s |' % (' | '.join(key), ' | '.join(columns)),
           '|' + '---|' * (len(key) + len(columns))]
    for name, counts in sorted(totals.items()):
        out.append('| %s | %s |' % (' | '.join(name), ' | '.join(
            str(counts[column]) for column in columns)))
    return out


def summarize(path: str) -> str:
    flows, races, faults = [], [], []
    with open(path) as stream:
        for line in stream:
            figures = json.loads(line)
            if 'suite' in figures:
                races.append(figures)
            elif 'fault' in figures:
                faults.append(figures)
            else:
                flows.append(figures)
    tables = [_table(flows, FLOW_KEY, FLOW_COLUMNS),
              _table(races, RACE_KEY, RACE_COLUMNS),
              _table(faults, FAULT_KEY, FAULT_COLUMNS)]
    return '\n\n'.join('\n'.join(table) for table in tables if table)


if __name__ == '__main__':
    print(summarize(sys.argv[1]))
