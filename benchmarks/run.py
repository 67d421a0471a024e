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

"""Print the table of ratios (``tox -e bench``).

Every ratio is measured side by side in this one run; absolute times vary
from machine to machine and minute to minute, ratios much less.
"""

import argparse
import platform
import sys
import warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m benchmarks.run')
    parser.add_argument('--quick', action='store_true',
                        help='Fewer calls and rounds (a smoke run).')
    parser.add_argument('--output', help='Also write the table here.')
    args = parser.parse_args(argv)
    warnings.simplefilter('ignore')
    from benchmarks import audit
    from benchmarks import checks
    from benchmarks import harness
    from benchmarks import persistence
    from benchmarks import wire

    scale = 10 if args.quick else 1
    rounds = 5 if args.quick else 15
    rows = checks.rows(200000 // scale, rounds)
    rows += persistence.rows(max(2, 20 // scale), rounds * 2)
    remote = wire.remote_row(max(2, 20 // scale), rounds * 2)
    rows += [remote] if remote else []
    rows.append(wire.primitive_row(5000 // scale, rounds))
    rows.extend(wire.import_rows(rounds))
    table = harness.render(rows)
    if remote is None:
        table += '\n  [remote save()] not measured: RPC_TRANSPORT_URL unset'
    audit_report, audit_met = audit.run(
        rows=100_000 if args.quick else 1_000_000,
        rounds=1 if args.quick else 3)
    table += '\n\n' + audit_report
    header = 'nova_migration_sm benchmarks: Python %s, %s\n\n' % (
        platform.python_version(), platform.machine())
    print(header + table)
    if args.output:
        with open(args.output, 'w') as out:
            out.write(header + table + '\n')
    return 0 if audit_met and all(row.met != 'NO' for row in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
