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

A status literal (one of ``MigrationStatus.ALL``) is flagged where it
stands for a migration status, suggesting the ``MigrationStatus`` constant:

* M301: compared with a migration's status (``migration.status ==
  'error'``, ``mig.status in ('finished', 'confirming')``,
  ``migration_status != 'running'``).
* M302: written as a migration's status (``migration.status = 'error'``,
  ``status=`` keyword arguments of calls about a migration,
  ``migration_status=`` keyword arguments, ``status`` and
  ``migration_status`` parameter defaults, the status argument of
  ``_set_migration_status`` and ``_rollback_live_migration``).
* M303: in a status filter (``{'status': [...]}`` filters,
  ``filters['status'] = ...``, ``Migration.status.in_([...])``,
  ``filter_by(status=...)``, the status argument of
  ``get_by_instance_and_status``).
* M304: ``pre-migrating``, ``post-migrating`` or ``running (post-copy)``
  anywhere else: no other Nova state spells them.

A name that one of these uses reads (``in_progress = ['queued', ...]``
later compared with ``migration.status``; ``for status in (...)`` passed
as the status argument) has the literals it is assigned flagged too.

"A migration's status" is an expression whose dotted name mentions a
migration (``mig``) and ends in ``status``, or a name ending in
``migration_status``; a bare ``status`` of another object (a server's,
a volume's) is not flagged.
"""

import ast
from collections.abc import Iterator

from nova_migration_sm.statuses import MigrationStatus

_CONSTANTS = {value: name for name, value in vars(MigrationStatus).items()
              if name.isupper() and isinstance(value, str)}

M301 = 'M301 migration status literal %r compared with a status; use %s'
M302 = 'M302 migration status literal %r written as a status; use %s'
M303 = 'M303 migration status literal %r in a status filter; use %s'
M304 = 'M304 migration status literal %r (no other state spells it); use %s'

_STATUS_KEYS = ('status', 'migration_status')
_STATUS_ARG_FUNCTIONS = {
    # name: (index of the status argument, message)
    '_set_migration_status': (1, M302),
    '_rollback_live_migration': (4, M302),
    'get_by_instance_and_status': (2, M303),
    'migration_get_by_instance_and_status': (2, M303),
}
_UNIQUE = (MigrationStatus.PRE_MIGRATING, MigrationStatus.POST_MIGRATING,
           MigrationStatus.RUNNING_POST_COPY)
"""Statuses no other Nova state spells: flagged wherever they appear."""
_FILTER_METHODS = ('in_', 'notin_', 'not_in')


def _dotted(node: ast.AST) -> str:
    """``a.b.c`` for names, attributes, calls and subscripts; else ''."""
    parts = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                parts.append(key.value)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            return '.'.join(reversed(parts))
        else:
            return '.'.join(reversed(parts))


def is_migration_status(node: ast.AST) -> bool:
    """Whether an expression reads or names a migration's status."""
    name = _dotted(node).lower()
    if name.endswith('migration_status'):
        # NOTE: volume['migration_status'] is Cinder's, not a migration's.
        return not isinstance(node, ast.Subscript)
    return name.endswith('status') and 'mig' in name


def status_literals(node: ast.AST) -> list[ast.Constant]:
    """The status literals of a literal, or of a list/tuple/set of them."""
    if isinstance(node, ast.Constant):
        return [node] if node.value in _CONSTANTS else []
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [e for e in node.elts if isinstance(e, ast.Constant) and
                e.value in _CONSTANTS]
    return []


class MigrationStatusLiteralChecker:
    """flake8 AST plugin: M301-M304 (see the module docstring)."""

    name = 'nova_migration_sm.hacking'
    version = '1.0'

    def __init__(self, tree: ast.AST, filename: str = '') -> None:
        self.tree = tree
        self.filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        seen = set()
        for literal, message in self._hits():
            key = (literal.lineno, literal.col_offset)
            if key in seen:
                continue
            seen.add(key)
            yield (literal.lineno, literal.col_offset,
                   message % (literal.value,
                              'MigrationStatus.' + _CONSTANTS[literal.value]),
                   type(self))

    def _hits(self) -> Iterator[tuple[ast.Constant, str]]:
        """Literals in status uses, then in names those uses read."""
        names: dict[str, str] = {}
        for node in ast.walk(self.tree):
            for operand, message in self._status_operands(node):
                if isinstance(operand, ast.Name):
                    names.setdefault(operand.id, message)
                for literal in status_literals(operand):
                    yield literal, message
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign):
                pairs = [(t, node.value) for t in node.targets]
            elif isinstance(node, ast.For):
                pairs = [(node.target, node.iter)]
            else:
                pairs = []
            for target, value in pairs:
                if isinstance(target, ast.Name) and target.id in names:
                    for literal in status_literals(value):
                        yield literal, names[target.id]
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Constant) and node.value in _UNIQUE:
                yield node, M304

    def _status_operands(self, node) -> Iterator[tuple[ast.AST, str]]:
        """Expressions ``node`` uses as a migration status."""
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(is_migration_status(o) for o in operands):
                yield from ((o, M301) for o in operands)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            yield from self._assign(node)
        elif isinstance(node, ast.Call):
            yield from self._call(node)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and \
                        key.value in _STATUS_KEYS:
                    yield value, M303
        elif isinstance(node, ast.arguments):
            yield from self._defaults(node)

    @staticmethod
    def _assign(node) -> Iterator[tuple[ast.AST, str]]:
        targets = node.targets if isinstance(node, ast.Assign) \
            else [node.target]
        for target in targets:
            name = _dotted(target).lower()
            if isinstance(target, ast.Subscript):
                if name.endswith(_STATUS_KEYS) and (
                        'filter' in name or 'mig' in name):
                    yield node.value, M303
            elif is_migration_status(target) and node.value is not None:
                yield node.value, M302

    @staticmethod
    def _call(node: ast.Call) -> Iterator[tuple[ast.AST, str]]:
        name = _dotted(node.func).rsplit('.', 1)[-1]
        about_migration = 'mig' in _dotted(node.func).lower() or any(
            k.arg == 'migration_type' for k in node.keywords)
        for keyword in node.keywords:
            if keyword.arg == 'migration_status':
                yield keyword.value, M302
            elif keyword.arg == 'status' and name == 'filter_by':
                yield keyword.value, M303
            elif keyword.arg == 'status' and about_migration:
                yield keyword.value, M302
        if name in _STATUS_ARG_FUNCTIONS:
            index, message = _STATUS_ARG_FUNCTIONS[name]
            if len(node.args) > index:
                yield node.args[index], message
        if name in _FILTER_METHODS and isinstance(node.func, ast.Attribute) \
                and is_migration_status(node.func.value):
            yield from ((arg, M303) for arg in node.args)

    @staticmethod
    def _defaults(node: ast.arguments) -> Iterator[tuple[ast.AST, str]]:
        positional = node.posonlyargs + node.args
        pairs = list(zip(positional[len(positional) - len(node.defaults):],
                         node.defaults))
        pairs += [(a, d) for a, d in zip(node.kwonlyargs, node.kw_defaults)
                  if d is not None]
        for arg, default in pairs:
            if arg.arg in _STATUS_KEYS:
                yield default, M302
