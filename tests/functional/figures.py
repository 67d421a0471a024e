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
``python -m tests.functional.figures F`` prints a Markdown table.
"""

import collections
import json
import sys

COLUMNS = ('flows', 'concurrent_writers', 'save_attempts', 'races_lost',
           'moves_written', 'illegal_persisted')


def summarize(path: str) -> str:
    totals = collections.defaultdict(collections.Counter)
    with open(path) as stream:
        for line in stream:
            figures = json.loads(line)
            key = (figures['backend'], figures['transport'])
            for column in COLUMNS:
                totals[key][column] += figures.get(column, 0)
    lines = ['| backend | transport | ' + ' | '.join(COLUMNS) + ' |',
             '|---|---|' + '---|' * len(COLUMNS)]
    for (backend, transport), counts in sorted(totals.items()):
        lines.append('| %s | %s | %s |' % (backend, transport, ' | '.join(
            str(counts[column]) for column in COLUMNS)))
    return '\n'.join(lines)


if __name__ == '__main__':
    print(summarize(sys.argv[1]))
