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

"""Which string literals of a Python module are migration statuses.

One analysis, two users: the flake8 check (M301-M304) reports what it
finds, and ``nova-migration-sm rewrite-literals`` rewrites exactly that.

A literal is one of ``MigrationStatus.ALL`` standing for a migration's
status. It is found where it meets a *status expression*:

* a status expression is a dotted name that mentions a migration and ends
  in ``status`` (``migration.status``, ``mig['status']``,
  ``migrations[0]['status']``, ``models.Migration.status``), the
  ``status`` of a name bound to a migration (``for m in migrations``,
  ``m = objects.Migration(...)``), a name such as ``migration_status``,
  ``expected_migration_status`` or ``migration_expected_state``, or a
  local name assigned one of these;
* M301: compared with one (``==``, ``in``, ``assertEqual``, ``assertIn``);
* M302: written as one (assigned, a ``status=`` keyword of a call that
  makes a migration, a ``migration_status=`` keyword or default, the
  status argument of ``_set_migration_status`` and the like);
* M303: in a migration query (a ``{'status': ...}`` dict that also holds
  a migration's key such as ``migration_type`` or ``source_compute``, or
  that is passed to a migration query; ``filter_by(status=...)`` of a
  ``Migration`` query; ``.in_()``; the status argument of
  ``get_by_instance_and_status``);
* M304: ``pre-migrating``, ``post-migrating`` and ``running
  (post-copy)`` anywhere (no other state spells them), and every status
  literal of a list, tuple, set or dict value that holds one of them.

A local name takes part when one of these uses reads it: the literals it
is assigned, extended, appended, added or looked up from (``status =
statuses[event]``) are found too, scope by scope.

Cinder's ``volume['migration_status']`` (and a name that only feeds it)
is a volume's, not a migration's; a server's, an image's, a volume's or
an event's ``status`` never mentions a migration, so it is not found.
"""

import ast
import dataclasses
import re
from collections.abc import Iterable, Iterator

from nova_migration_sm.statuses import MigrationStatus

CONSTANTS = {value: name for name, value in vars(MigrationStatus).items()
             if name.isupper() and isinstance(value, str)}
"""Status value -> constant name (``'running (post-copy)'`` ->
``'RUNNING_POST_COPY'``)."""

UNIQUE = frozenset({MigrationStatus.PRE_MIGRATING,
                    MigrationStatus.POST_MIGRATING,
                    MigrationStatus.RUNNING_POST_COPY})
"""Statuses no other Nova state spells."""

COMPARED, WRITTEN, QUERIED, UNIQUE_CODE = 'M301', 'M302', 'M303', 'M304'
MESSAGES = {
    COMPARED: 'M301 migration status literal %r compared with a status; '
              'use %s',
    WRITTEN: 'M302 migration status literal %r written as a status; use %s',
    QUERIED: 'M303 migration status literal %r in a status filter; use %s',
    UNIQUE_CODE: 'M304 migration status literal %r (no other state spells '
                 'it, or beside one that none does); use %s',
}

_STATUS_NAME = re.compile(
    r'(^|_)(migration_(expected_)?(status|state)e?s?|'
    r'mig_status(es)?)$')
"""Names that hold a migration's status by their own name."""
_CINDER_KEY = 'migration_status'
"""The key of Cinder's volume dict: a volume's migration, not Nova's."""
_MIGRATION_KEYS = frozenset({
    'migration_type', 'source_compute', 'dest_compute', 'source_node',
    'dest_node', 'old_instance_type_id', 'new_instance_type_id',
    'dest_host', 'cross_cell_move'})
"""Keys only a migration (row, dict or filter) has."""
_STATUS_ARGUMENTS = {
    # Nova callee name: (index of the status argument, use)
    '_set_migration_status': (1, WRITTEN),
    '_rollback_live_migration': (4, WRITTEN),
    'get_by_instance_and_status': (2, QUERIED),
    'migration_get_by_instance_and_status': (2, QUERIED),
    # nova/virt/libvirt/migration.py: (instance, elapsed, timeout, status)
    'should_trigger_timeout_action': (3, COMPARED),
    # nova/tests/functional/integrated_helpers.py: (server,
    # migration_expected_state, ...)
    '_live_migrate': (1, COMPARED),
}
_COMPARE_ASSERTIONS = frozenset({
    'assertEqual', 'assertNotEqual', 'assertIn', 'assertNotIn',
    'assertEquals', 'assertItemsEqual', 'assertCountEqual'})
_MOCK_ASSERTIONS = frozenset({
    'assert_called_once_with', 'assert_called_with', 'assert_any_call'})
_FILTER_METHODS = frozenset({'in_', 'notin_', 'not_in'})
_GROWERS = frozenset({'append', 'extend', 'add', 'update', 'insert'})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclasses.dataclass(frozen=True, order=True)
class Finding:
    """A status literal: where it is, its value and why it was found."""

    line: int
    col: int
    """``ast`` column: the UTF-8 byte offset in the line."""
    value: str
    code: str

    @property
    def constant(self) -> str:
        return CONSTANTS[self.value]

    def message(self, prefix: str = 'MigrationStatus') -> str:
        return MESSAGES[self.code] % (self.value,
                                      '%s.%s' % (prefix, self.constant))


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for names, attributes, calls and string subscripts."""
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
            break
        else:
            break
    return '.'.join(reversed(parts))


def _root(node: ast.AST) -> ast.Name | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node if isinstance(node, ast.Name) else None


def _callee(node: ast.Call) -> str:
    return dotted(node.func).rsplit('.', 1)[-1]


def _mentions_migration(name: str) -> bool:
    return 'mig' in name.lower()


def status_literals(node: ast.AST | None) -> list[ast.Constant]:
    """The status literals of a literal or of a literal collection."""
    if isinstance(node, ast.Constant):
        return [node] if node.value in CONSTANTS else []
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [c for e in node.elts for c in status_literals(e)]
    if isinstance(node, ast.Starred):
        return status_literals(node.value)
    if isinstance(node, ast.IfExp):
        return status_literals(node.body) + status_literals(node.orelse)
    if isinstance(node, ast.BinOp):
        return status_literals(node.left) + status_literals(node.right)
    if isinstance(node, ast.BoolOp):
        return [c for v in node.values for c in status_literals(v)]
    return []


def _patched(node: ast.AST) -> str | None:
    """The attribute a ``mock.patch*`` decorator or context replaces.

    '' when it injects a mock of something else, None when it injects
    nothing (``new=``, ``patch.dict``, another decorator).
    """
    if not isinstance(node, ast.Call):
        return None
    name = dotted(node.func)
    parts = name.split('.')
    if 'patch' not in parts or parts[-1] in ('dict', 'multiple'):
        return None
    if any(k.arg == 'new' for k in node.keywords):
        return None
    if name.endswith('patch.object'):
        if len(node.args) != 2:
            return None
        attr = node.args[1]
    else:
        if len(node.args) != 1:
            return None
        attr = node.args[0]
    if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
        return attr.value.rsplit('.', 1)[-1]
    return ''


class _Scope:
    """A function, class or module body: the names bound in it."""

    def __init__(self, node: ast.AST, parent: '_Scope | None') -> None:
        self.node = node
        self.parent = parent
        self.bound: set[str] = set()

    def owner(self, name: str) -> '_Scope':
        """The scope a name read here resolves to (closures, globals)."""
        scope = self
        while scope is not None:
            if name in scope.bound and (
                    scope is self or not isinstance(scope.node, ast.ClassDef)):
                return scope
            scope = scope.parent
        return self


class Analysis:
    """Find the status literals of one module (see the module docstring)."""

    def __init__(self, tree: ast.AST) -> None:
        self.tree = tree
        self.scope_of: dict[int, _Scope] = {}
        self.inner_scope: dict[int, _Scope] = {}
        self._collect_scopes(tree, _Scope(tree, None))
        self.found: dict[tuple[int, int], Finding] = {}
        # (scope id, name) sets, grown to a fixpoint
        self.holders: dict[tuple[int, str], str] = {}
        """Names holding a status: their assigned literals are found."""
        self.migrations: set[tuple[int, str]] = set()
        """Names bound to a migration (object, row or dict)."""
        self.status_names: set[tuple[int, str]] = set()
        """Names assigned a status expression (``s = migration.status``)."""
        self.lookups: dict[tuple[int, str], str] = {}
        """Names a holder is looked up from (``s = statuses[event]``)."""
        self.cinder: set[tuple[int, str]] = set()
        """Names that feed Cinder's ``migration_status``."""
        self.mocks: dict[tuple[int, str], str] = {}
        """Mock names -> the name of the callable they replace."""
        self.query_args: set[tuple[int, str]] = set()
        """Names passed to a migration query or constructor."""

    # -- scopes ------------------------------------------------------------
    def _collect_scopes(self, node: ast.AST, scope: _Scope) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _SCOPES):
                if not isinstance(child, ast.Lambda):
                    scope.bound.add(child.name)
                inner = _Scope(child, scope)
                self.scope_of[id(child)] = scope
                self.inner_scope[id(child)] = inner
                if not isinstance(child, ast.ClassDef):
                    args = child.args
                    for arg in (args.posonlyargs + args.args +
                                args.kwonlyargs +
                                [a for a in (args.vararg, args.kwarg) if a]):
                        inner.bound.add(arg.arg)
                self._collect_scopes(child, inner)
                continue
            self.scope_of[id(child)] = scope
            if isinstance(child, ast.Name) and isinstance(
                    child.ctx, (ast.Store, ast.Del)):
                scope.bound.add(child.id)
            self._collect_scopes(child, scope)

    def _key(self, node: ast.AST, name: str) -> tuple[int, str]:
        scope = self.scope_of.get(id(node))
        if scope is None:
            return (0, name)
        return (id(scope.owner(name)), name)

    def _walk(self) -> Iterator[ast.AST]:
        return ast.walk(self.tree)

    # -- what is a migration, what is its status ---------------------------
    def is_migration(self, node: ast.AST) -> bool:
        """An expression naming a migration (object, row, dict, list).

        ``migration``, ``migrations[0]``, ``self.migration``,
        ``models.Migration``, a name bound to one; not
        ``migration.instance``.
        """
        while isinstance(node, ast.Subscript) and not (
                isinstance(node.slice, ast.Constant) and
                isinstance(node.slice.value, str)):
            node = node.value
        if isinstance(node, ast.Name):
            return self._key(node, node.id) in self.migrations or \
                _mentions_migration(node.id)
        if isinstance(node, ast.Attribute):
            return _mentions_migration(node.attr)
        return False

    def is_status(self, node: ast.AST) -> bool:
        """Whether an expression reads or names a migration's status."""
        if isinstance(node, ast.Name):
            key = self._key(node, node.id)
            if key in self.cinder:
                return False
            return bool(_STATUS_NAME.search(node.id)) or \
                key in self.status_names
        if isinstance(node, ast.Attribute):
            if node.attr == 'status':
                return self.is_migration(node.value)
            return bool(_STATUS_NAME.search(node.attr))
        if isinstance(node, ast.Subscript):
            key = node.slice
            if not (isinstance(key, ast.Constant) and key.value == 'status'):
                return False
            return self.is_migration(node.value)
        return False

    # -- the analysis -------------------------------------------------------
    def findings(self) -> list[Finding]:
        """Every status literal found, in source order, each once."""
        self._bind_names()
        self.signatures: dict[str, dict[str, tuple[int | None, str]]] = {}
        size = None
        while size != (len(self.found), len(self.holders)):
            size = (len(self.found), len(self.holders))
            for node in self._walk():
                for operand, code in self._operands(node):
                    self._use(operand, code)
            self._follow_names()
            self._learn_signatures()
        for node in self._walk():
            self._unique(node)
        return sorted(self.found.values())

    def _learn_signatures(self) -> None:
        """This module's functions whose parameters hold a status.

        ``def _get_migration(self, migration_id, status, ...)`` that sets
        ``migration.status = status``: the literal passed as ``status``
        at a call, or as its default, is a status.
        """
        for node in self._walk():
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            inner = self.inner_scope[id(node)]
            args = node.args
            positional = args.posonlyargs + args.args
            method = bool(positional) and positional[0].arg in ('self',
                                                                'cls')
            params = {}
            for index, arg in enumerate(positional):
                code = self.holders.get((id(inner), arg.arg))
                if code is not None:
                    params[arg.arg] = (index - method, code)
            for arg in args.kwonlyargs:
                code = self.holders.get((id(inner), arg.arg))
                if code is not None:
                    params[arg.arg] = (None, code)
            if params:
                self.signatures.setdefault(node.name, {}).update(params)
                defaults = dict(zip(
                    [a.arg for a in positional[len(positional) -
                                               len(args.defaults):]],
                    args.defaults))
                defaults.update({a.arg: d for a, d in zip(
                    args.kwonlyargs, args.kw_defaults) if d is not None})
                for name, (_index, code) in params.items():
                    if name in defaults:
                        self._use(defaults[name], code)

    def _add(self, literal: ast.Constant, code: str) -> None:
        key = (literal.lineno, literal.col_offset)
        if key not in self.found:
            self.found[key] = Finding(literal.lineno, literal.col_offset,
                                      literal.value, code)

    def _use(self, operand: ast.AST, code: str) -> None:
        """An expression used as a status: its literals, or its name."""
        for literal in status_literals(operand):
            self._add(literal, code)
        for name in self._names_in(operand):
            key = self._key(name, name.id)
            if key not in self.cinder:
                self.holders.setdefault(key, code)

    @staticmethod
    def _names_in(node: ast.AST) -> Iterator[ast.Name]:
        if isinstance(node, ast.Name):
            yield node
        elif isinstance(node, ast.BinOp):
            yield from Analysis._names_in(node.left)
            yield from Analysis._names_in(node.right)
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            for element in node.elts:
                yield from Analysis._names_in(element)

    def _bind_mocks(self) -> None:
        """Map mock names to the callable they replace.

        ``mock_get`` of ``@mock.patch.object(objects.Migration,
        'get_by_instance_and_status')``.
        """
        for node in self._walk():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = self.inner_scope[id(node)]
                injected = [_patched(d) for d in reversed(node.decorator_list)]
                injected = [i for i in injected if i is not None]
                params = [a.arg for a in node.args.posonlyargs +
                          node.args.args]
                params = params[:len(params) - len(node.args.defaults)]
                if params and params[0] in ('self', 'cls'):
                    params = params[1:]
                # mock appends its mocks after the caller's arguments, to
                # the parameters without a default
                params = params[len(params) - len(injected):] \
                    if len(params) >= len(injected) else []
                for param, attr in zip(params, injected):
                    if attr:
                        self.mocks[(id(inner), param)] = attr
            elif isinstance(node, ast.withitem):
                target, context = node.optional_vars, node.context_expr
                pairs = [(target, context)]
                if isinstance(target, ast.Tuple) and isinstance(
                        context, ast.Call) and _callee(context) == 'nested':
                    # with test.nested(mock.patch..., ...) as (a, b, ...)
                    pairs = list(zip(target.elts, context.args))
                for name, patcher in pairs:
                    attr = _patched(patcher)
                    if attr and isinstance(name, ast.Name):
                        self.mocks[self._key(name, name.id)] = attr

    def _bind_names(self) -> None:
        """Migrations, status aliases and Cinder names, to a fixpoint."""
        self._bind_mocks()
        for node in self._walk():
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and \
                            key.value == _CINDER_KEY and \
                            isinstance(value, ast.Name):
                        self.cinder.add(self._key(value, value.id))
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Subscript) and isinstance(
                            target.slice, ast.Constant) and \
                            target.slice.value == _CINDER_KEY and \
                            isinstance(node.value, ast.Name):
                        self.cinder.add(self._key(node.value,
                                                  node.value.id))
        for node in self._walk():
            if isinstance(node, ast.Call) and self._about_migration(node):
                for arg in list(node.args) + [k.value for k in
                                              node.keywords]:
                    if isinstance(arg, ast.Name):
                        self.query_args.add(self._key(arg, arg.id))
        changed = True
        while changed:
            changed = False
            for node in self._walk():
                for target, value, loop in self._bindings(node):
                    if not isinstance(target, ast.Name):
                        continue
                    key = self._key(target, target.id)
                    if loop and self.is_migration(value) or \
                            not loop and self._makes_migration(value):
                        if key not in self.migrations:
                            self.migrations.add(key)
                            changed = True
                    if not loop and self.is_status(value) and \
                            key not in self.status_names and \
                            key not in self.cinder:
                        self.status_names.add(key)
                        changed = True

    def _makes_migration(self, node: ast.AST) -> bool:
        """Whether a value is a migration.

        A migration's dict, a call that makes or finds migrations, a list
        of them.
        """
        if isinstance(node, ast.Dict):
            return any(isinstance(k, ast.Constant) and
                       k.value in _MIGRATION_KEYS for k in node.keys)
        if isinstance(node, ast.Call):
            return any('migration' in part.lower()
                       for part in dotted(node).split('.'))
        if isinstance(node, (ast.List, ast.Tuple)):
            return bool(node.elts) and all(
                self._makes_migration(e) for e in node.elts)
        return self.is_migration(node)

    @staticmethod
    def _bindings(node: ast.AST) -> Iterator[tuple[ast.AST, ast.AST, bool]]:
        """(target, value, is_a_loop) of assignments and loops."""
        if isinstance(node, ast.Assign):
            for target in node.targets:
                yield target, node.value, False
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and \
                node.value is not None:
            yield node.target, node.value, False
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            yield node.target, node.iter, True
        elif isinstance(node, ast.withitem) and node.optional_vars:
            yield node.optional_vars, node.context_expr, False

    def _operands(self, node: ast.AST) -> Iterator[tuple[ast.AST, str]]:
        """Expressions ``node`` uses as a migration status, with the use."""
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(self.is_status(o) for o in operands):
                yield from ((o, COMPARED) for o in operands
                            if not self.is_status(o))
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            yield from self._assign(node)
        elif isinstance(node, ast.Call):
            yield from self._call(node)
        elif isinstance(node, ast.Dict):
            yield from self._dict(node)
        elif isinstance(node, ast.arguments):
            yield from self._defaults(node)

    def _assign(self, node) -> Iterator[tuple[ast.AST, str]]:
        targets = node.targets if isinstance(node, ast.Assign) \
            else [node.target]
        if node.value is None:
            return
        for target in targets:
            if isinstance(target, ast.Subscript) and isinstance(
                    target.slice, ast.Constant) and \
                    target.slice.value == 'status':
                base = target.value
                if self.is_migration(base) or (
                        isinstance(base, ast.Name) and
                        self._key(base, base.id) in self.query_args):
                    yield node.value, QUERIED
            elif isinstance(target, ast.Name):
                key = self._key(target, target.id)
                if _STATUS_NAME.search(target.id) and key not in self.cinder:
                    yield node.value, WRITTEN
                    if isinstance(node.value, ast.Dict):
                        yield from ((v, WRITTEN) for v in node.value.values)
                elif _mentions_migration(target.id):
                    yield from self._made_with_status(node.value)
            elif self.is_status(target):
                yield node.value, WRITTEN

    @staticmethod
    def _made_with_status(value: ast.AST) -> Iterator[tuple[ast.AST, str]]:
        """The ``status`` keyword of calls making a migration's stand-in.

        ``migrations = [mock.Mock(status='done')]``.
        """
        calls = value.elts if isinstance(value, (ast.List, ast.Tuple)) \
            else [value]
        for call in calls:
            if isinstance(call, ast.Call):
                yield from ((k.value, WRITTEN) for k in call.keywords
                            if k.arg == 'status')

    def _about_migration(self, node: ast.Call) -> bool:
        """A call that makes, finds or updates migrations."""
        return _mentions_migration(dotted(node.func)) or any(
            k.arg in _MIGRATION_KEYS for k in node.keywords)

    def _call_forms(self, node: ast.Call
                    ) -> Iterator[tuple[str, list, list]]:
        """(callee name, args, keywords) of a call and of the calls it means.

        The call an ``assertRaises(exc, func, *args)`` makes, and the call
        a mock's ``assert_called_*_with(*args)`` says was made.
        """
        name = _callee(node)
        yield name, list(node.args), list(node.keywords)
        if name in _MOCK_ASSERTIONS and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name):
            mocked = self.mocks.get(self._key(node.func.value,
                                              node.func.value.id))
            if mocked:
                yield mocked, list(node.args), list(node.keywords)
        start = {'assertRaises': 1, 'assertRaisesRegex': 2}.get(name)
        if start is not None and len(node.args) > start and isinstance(
                node.args[start], (ast.Name, ast.Attribute)):
            yield (dotted(node.args[start]).rsplit('.', 1)[-1],
                   list(node.args[start + 1:]), list(node.keywords))

    def _call(self, node: ast.Call) -> Iterator[tuple[ast.AST, str]]:
        about = self._about_migration(node)
        for name, args, keywords in self._call_forms(node):
            yield from self._arguments(node, name, args, keywords, about)
        name = _callee(node)
        if name in _FILTER_METHODS and isinstance(node.func, ast.Attribute) \
                and self.is_status(node.func.value):
            yield from ((arg, QUERIED) for arg in node.args)
        if name in _COMPARE_ASSERTIONS and len(node.args) >= 2:
            first, second = node.args[:2]
            if self.is_status(second):
                yield first, COMPARED
            elif self.is_status(first):
                yield second, COMPARED

    def _arguments(self, node, name, args, keywords, about
                   ) -> Iterator[tuple[ast.AST, str]]:
        """The arguments a call passes as a status."""
        learned = self.signatures.get(name, {})
        for keyword in keywords:
            if keyword.arg is None:
                continue
            if keyword.arg in learned:
                yield keyword.value, learned[keyword.arg][1]
            elif _STATUS_NAME.search(keyword.arg):
                yield keyword.value, (COMPARED if 'expected' in keyword.arg
                                      else WRITTEN)
            elif keyword.arg == 'status' and (
                    about or name == 'filter_by' and self._queries_migration(
                        node)):
                yield keyword.value, (QUERIED if name == 'filter_by'
                                      else WRITTEN)
        for index, code in learned.values():
            if index is not None and 0 <= index < len(args):
                yield args[index], code
        if name in _STATUS_ARGUMENTS:
            index, code = _STATUS_ARGUMENTS[name]
            if len(args) > index:
                yield args[index], code
        elif _STATUS_NAME.search(name):
            code = WRITTEN if 'set' in name else COMPARED
            yield from ((arg, code) for arg in args
                        if status_literals(arg) or isinstance(
                            arg, ast.Name) and 'stat' in arg.id and
                        not self.is_migration(arg))

    def _queries_migration(self, node: ast.Call) -> bool:
        """``model_query(ctx, models.Migration).filter_by(...)``."""
        current: ast.AST = node.func
        while isinstance(current, (ast.Attribute, ast.Call)):
            if isinstance(current, ast.Call):
                if any(_mentions_migration(dotted(a)) for a in current.args):
                    return True
                current = current.func
            else:
                current = current.value
        if isinstance(current, ast.Name):
            return self._key(current, current.id) in self.migrations
        return False

    def _dict(self, node: ast.Dict) -> Iterator[tuple[ast.AST, str]]:
        keys = {k.value: v for k, v in zip(node.keys, node.values)
                if isinstance(k, ast.Constant)}
        if 'status' in keys and (
                _MIGRATION_KEYS.intersection(keys) or
                id(node) in self._query_dicts()):
            yield keys['status'], QUERIED

    def _query_dicts(self) -> set[int]:
        """Dict literals passed (or named and passed) to a migration call."""
        cached = getattr(self, '_query_dict_ids', None)
        if cached is not None:
            return cached
        found: set[int] = set()
        named: set[tuple[int, str]] = set()
        for node in self._walk():
            if isinstance(node, ast.Call) and self._about_migration(node):
                for arg in list(node.args) + [k.value for k in
                                              node.keywords]:
                    if isinstance(arg, ast.Dict):
                        found.add(id(arg))
                    elif isinstance(arg, ast.Name):
                        named.add(self._key(arg, arg.id))
        for node in self._walk():
            for target, value, loop in self._bindings(node):
                if not loop and isinstance(target, ast.Name) and \
                        isinstance(value, ast.Dict) and \
                        self._key(target, target.id) in named:
                    found.add(id(value))
        self._query_dict_ids = found
        return found

    def _defaults(self, node: ast.arguments) -> Iterator[tuple[ast.AST, str]]:
        positional = node.posonlyargs + node.args
        pairs = list(zip(positional[len(positional) - len(node.defaults):],
                         node.defaults))
        pairs += [(a, d) for a, d in zip(node.kwonlyargs, node.kw_defaults)
                  if d is not None]
        for arg, default in pairs:
            if _STATUS_NAME.search(arg.arg):
                yield default, WRITTEN

    def _follow_names(self) -> None:
        """Literals assigned to (or grown into) names used as statuses."""
        changed = True
        while changed:
            changed = False
            before = (len(self.holders), len(self.lookups))
            for node in self._walk():
                for target, value in self._flows(node):
                    key = self._key(target, target.id)
                    if key in self.holders:
                        self._use(value, self.holders[key])
                        self._lookup(value, self.holders[key])
                    if key in self.lookups:
                        self._dict_values(value, self.lookups[key])
            changed = before != (len(self.holders), len(self.lookups))

    def _flows(self, node: ast.AST) -> Iterator[tuple[ast.Name, ast.AST]]:
        """(name, value flowing into it) for assignments, loops, growth."""
        for target, value, _loop in self._bindings(node):
            if isinstance(target, ast.Name):
                yield target, value
        if isinstance(node, ast.Call) and \
                isinstance(node.func, ast.Attribute) and \
                node.func.attr in _GROWERS and \
                isinstance(node.func.value, ast.Name):
            for arg in node.args:
                yield node.func.value, arg

    def _lookup(self, value: ast.AST, code: str) -> None:
        """``status = statuses[key]`` / ``statuses.get(key)``: the dict."""
        if isinstance(value, ast.Subscript) and \
                isinstance(value.value, ast.Name):
            source = value.value
        elif isinstance(value, ast.Call) and \
                isinstance(value.func, ast.Attribute) and \
                value.func.attr == 'get' and \
                isinstance(value.func.value, ast.Name):
            source = value.func.value
        else:
            return
        self.lookups.setdefault(self._key(source, source.id), code)

    def _dict_values(self, value: ast.AST, code: str) -> None:
        if isinstance(value, ast.Dict):
            for item in value.values:
                for literal in status_literals(item):
                    self._add(literal, code)

    def _unique(self, node: ast.AST) -> None:
        """M304: unique statuses, and their company in a collection."""
        if isinstance(node, ast.Constant) and node.value in UNIQUE:
            self._add(node, UNIQUE_CODE)
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            items = node.values if isinstance(node, ast.Dict) else node.elts
            if not all(isinstance(i, ast.Constant) for i in items):
                return
            values = [i.value for i in items]
            if any(v in UNIQUE for v in values) and \
                    all(v in CONSTANTS for v in values):
                for item in items:
                    self._add(item, UNIQUE_CODE)


def find(tree: ast.AST) -> list[Finding]:
    """The migration status literals of a parsed module."""
    return Analysis(tree).findings()


def find_in_source(source: str) -> list[Finding]:
    """The migration status literals of a module's source text."""
    return find(ast.parse(source))


def codes(findings: Iterable[Finding]) -> list[tuple[int, str]]:
    """``(line, code)`` pairs, for tests and reports."""
    return [(f.line, f.code) for f in findings]
