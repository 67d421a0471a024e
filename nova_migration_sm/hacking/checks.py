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

"""Flag migration status string literals in Nova code (flake8 plugin).

OpenStack style: one AST checker, usable from Nova's ``tox.ini``::

    [flake8:local-plugins]
    extension =
        M3 = nova_migration_sm.hacking.checks:MigrationStatusLiteralChecker

It reports what :mod:`nova_migration_sm.hacking.analysis` finds (M301
compared, M302 written, M303 queried, M304 a migration-only status or
its company), the very literals ``nova-migration-sm rewrite-literals``
rewrites; the message names the constant to use instead.
"""

import ast
from collections.abc import Iterator

from nova_migration_sm.hacking import analysis


class MigrationStatusLiteralChecker:
    """flake8 AST plugin: M301-M304 (see the analysis module)."""

    name = 'nova_migration_sm.hacking'
    version = '2.0'

    def __init__(self, tree: ast.AST, filename: str = '') -> None:
        self.tree = tree
        self.filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        for finding in analysis.find(self.tree):
            yield (finding.line, finding.col, finding.message(),
                   type(self))
