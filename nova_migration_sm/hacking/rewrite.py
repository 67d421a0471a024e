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

"""Rewrite migration status literals into constants (a libcst codemod).

The literals are those :mod:`nova_migration_sm.hacking.analysis` finds,
so the flake8 check (M301-M304) reports exactly what this rewrites.
``'error'`` becomes ``fields.MigrationStatus.ERROR`` and the module gets
``from nova.objects import fields`` (in hacking's H306 order) unless it
already imports that module. libcst keeps every comment and every other
character of the module as it was; a line the longer name pushes past
79 columns is broken inside its brackets, in the style of the lines
around it. A line it cannot break is reported, never dropped.
:class:`RewriteLiterals` is the codemod libcst's runner applies to each
file (``nova-migration-sm rewrite-literals``).
"""

import ast
import dataclasses
import os

import libcst as cst
from libcst import codemod
from libcst import metadata

from nova_migration_sm.hacking import analysis
from nova_migration_sm.hacking import wrap

MAX_LINE = 79
_ALIASES = ('fields', 'obj_fields', 'nova_fields')


class BadInput(ValueError):
    """Input the rewrite cannot work on (one line, no traceback)."""


@dataclasses.dataclass(frozen=True)
class Constants:
    """Where the status constants live: ``MODULE:NAME``."""

    module: str
    name: str

    @classmethod
    def parse(cls, spec: str) -> 'Constants':
        module, sep, name = spec.partition(':')
        parts = module.split('.')
        if not sep or not name.isidentifier() or len(parts) < 2 or \
                not all(p.isidentifier() for p in parts):
            raise BadInput('--constants wants PACKAGE.MODULE:NAME, such as '
                           'nova.objects.fields:MigrationStatus; got %r'
                           % spec)
        return cls(module, name)

    @property
    def package(self) -> str:
        return self.module.rsplit('.', 1)[0]

    @property
    def leaf(self) -> str:
        return self.module.rsplit('.', 1)[1]


NOVA = Constants('nova.objects.fields', 'MigrationStatus')
"""Nova's own constants (the patch series defines them from the library)."""


@dataclasses.dataclass
class Result:
    """What a rewrite of one module did."""

    source: str
    findings: list[analysis.Finding]
    import_added: str | None = None
    """The import statement added, if any."""
    long_lines: list[int] = dataclasses.field(default_factory=list)
    """Lines holding a constant that are still longer than MAX_LINE."""

    @property
    def changed(self) -> bool:
        return bool(self.findings)


def _import_key(statement: cst.CSTNode) -> str | None:
    """hacking's H306 key of a top-level import, or None.

    ``from a import b`` -> ``a.b``; None for a statement that is not a
    plain import.
    """
    if not isinstance(statement, cst.SimpleStatementLine) or \
            len(statement.body) != 1:
        return None
    node = statement.body[0]
    code = cst.Module([]).code_for_node(node).lower().replace(
        '\\\n', ' ').replace('(', ' ').replace(')', ' ').split()
    if isinstance(node, cst.Import):
        return code[1] if len(code) > 1 else None
    if isinstance(node, cst.ImportFrom) and len(code) >= 4 and \
            code[2] == 'import' and ',' not in ' '.join(code):
        if node.relative:
            return None
        return '%s.%s' % (code[1], code[3])
    return None


def _bound_names(tree: ast.AST) -> set[str]:
    """Every name bound anywhere in a module (any scope)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                               ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split('.')[0])
    return names


def _reference(tree: ast.AST, constants: Constants, module_name: str | None
               ) -> tuple[str, str | None]:
    """(dotted prefix of the constants, import to add or None)."""
    if module_name == constants.module:
        return constants.name, None
    for node in tree.body if isinstance(tree, ast.Module) else ():
        if isinstance(node, ast.ImportFrom) and node.level == 0 and \
                node.module == constants.package:
            for alias in node.names:
                if alias.name == constants.leaf:
                    return '%s.%s' % (alias.asname or alias.name,
                                      constants.name), None
                if alias.name == constants.name and \
                        node.module == constants.module:
                    return alias.asname or alias.name, None
        if isinstance(node, ast.ImportFrom) and node.level == 0 and \
                node.module == constants.module:
            for alias in node.names:
                if alias.name == constants.name:
                    return alias.asname or alias.name, None
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == constants.module and not alias.asname:
                    return '%s.%s' % (constants.module, constants.name), None
    taken = _bound_names(tree)
    for alias in (constants.leaf,) + _ALIASES[1:]:
        if alias not in taken:
            statement = 'from %s import %s' % (
                constants.package, constants.leaf)
            if alias != constants.leaf:
                statement += ' as %s' % alias
            return '%s.%s' % (alias, constants.name), statement
    raise BadInput('no free name to import %s under' % constants.module)


def _char_column(lines: list[str], line: int, byte_col: int) -> int:
    text = lines[line - 1].encode('utf-8')
    return len(text[:byte_col].decode('utf-8'))


class _Replace(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (metadata.PositionProvider,)

    def __init__(self, targets: dict[tuple[int, int], analysis.Finding],
                 prefix: str) -> None:
        super().__init__()
        self.targets = targets
        self.prefix = prefix
        self.done: set[tuple[int, int]] = set()

    def leave_SimpleString(self, original, updated):
        start = self.get_metadata(metadata.PositionProvider, original).start
        finding = self.targets.get((start.line, start.column))
        if finding is None or original.evaluated_value != finding.value:
            return updated
        self.done.add((start.line, start.column))
        return cst.parse_expression('%s.%s' % (self.prefix,
                                               finding.constant))


def _insert_import(module: cst.Module, statement: str) -> cst.Module:
    """Add an import where hacking's H306 wants it."""
    new = cst.parse_statement(statement + '\n')
    key = _import_key(new)
    body = list(module.body)
    blocks: list[list[int]] = []
    for index, node in enumerate(body):
        if _import_key(node) is None:
            if blocks and blocks[-1] and index == blocks[-1][-1] + 1:
                blocks.append([])
            continue
        starts_block = not blocks or not blocks[-1] or \
            index != blocks[-1][-1] + 1 or any(
                isinstance(line, cst.EmptyLine) and line.comment is None
                for line in node.leading_lines)
        if starts_block:
            blocks.append([])
        blocks[-1].append(index)
    blocks = [b for b in blocks if b]
    if not blocks:
        position = 0
        while position < len(body) and _is_docstring(body[position]):
            position += 1
        if position:
            new = new.with_changes(leading_lines=[cst.EmptyLine()])
        if position < len(body) and not body[position].leading_lines:
            body[position] = body[position].with_changes(
                leading_lines=[cst.EmptyLine()])
        body.insert(position, new)
        return module.with_changes(body=body)
    top = key.split('.')[0]
    same = [b for b in blocks
            if any(_import_key(body[i]).split('.')[0] == top for i in b)]
    block = same[-1] if same else blocks[-1]
    if not same:
        # a group of its own after the last block
        new = new.with_changes(leading_lines=[cst.EmptyLine()])
        body.insert(block[-1] + 1, new)
        return module.with_changes(body=body)
    for index in block:
        if _import_key(body[index]) > key:
            if index == block[0]:
                # take over the block's leading blank lines and comments
                new = new.with_changes(
                    leading_lines=body[index].leading_lines)
                body[index] = body[index].with_changes(leading_lines=[])
            body.insert(index, new)
            return module.with_changes(body=body)
    body.insert(block[-1] + 1, new)
    return module.with_changes(body=body)


def _is_docstring(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.SimpleStatementLine) and \
        len(node.body) == 1 and isinstance(node.body[0], cst.Expr) and \
        isinstance(node.body[0].value, (cst.SimpleString,
                                        cst.ConcatenatedString))


def module_name_of(path: str) -> str | None:
    """``nova/objects/fields.py`` -> ``nova.objects.fields`` (by path)."""
    parts = path.replace('\\', '/').split('/')
    if not parts[-1].endswith('.py'):
        return None
    parts[-1] = parts[-1][:-3]
    return '.'.join(p for p in parts if p not in ('', '.'))


def _parse(source: str) -> ast.AST:
    try:
        return ast.parse(source)
    except SyntaxError as error:
        raise BadInput('not Python: line %s: %s' % (
            error.lineno, error.msg)) from None


def literals(source: str) -> list[analysis.Finding]:
    """The literals :func:`rewrite_source` replaces in a module."""
    return analysis.find(_parse(source))


def rewrite_source(source: str, constants: Constants = NOVA,
                   module_name: str | None = None) -> Result:
    """Rewrite one module's status literals; the source if none."""
    tree = _parse(source)
    findings = analysis.find(tree)
    if not findings:
        return Result(source, [])
    lines = source.splitlines()
    targets = {(f.line, _char_column(lines, f.line, f.col)): f
               for f in findings}
    prefix, statement = _reference(
        tree, constants,
        module_name if module_name is None or '.' not in module_name
        else _matching_module(module_name, constants.module))
    wrapper = metadata.MetadataWrapper(cst.parse_module(source))
    replace = _Replace(targets, prefix)
    module = wrapper.visit(replace)
    done = [f for key, f in targets.items() if key in replace.done]
    if not done:
        return Result(source, [])
    if statement:
        module = _insert_import(module, statement)
    module = wrap.wrap_long_lines(module, MAX_LINE, prefix + '.')
    return Result(module.code, sorted(done), statement,
                  wrap.long_lines(module.code, MAX_LINE, prefix + '.'))


def _matching_module(module_name: str, constants_module: str) -> str:
    """The constants module when a path names it, else the path's name.

    ``work.nova.objects.fields`` names ``nova.objects.fields``.
    """
    if module_name == constants_module or module_name.endswith(
            '.' + constants_module):
        return constants_module
    return module_name


class RewriteLiterals(codemod.Codemod):
    """:func:`rewrite_source` as a codemod, for libcst's runner.

    A file without literals is skipped; each line left longer than
    MAX_LINE is a warning, ``path:line: ...``.
    """

    def __init__(self, context: codemod.CodemodContext,
                 constants: Constants = NOVA) -> None:
        super().__init__(context)
        self.constants = constants

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        path = self.context.filename or '<source>'
        if not os.path.relpath(path).startswith('..'):
            path = os.path.relpath(path)
        result = rewrite_source(
            tree.code, self.constants,
            self.context.full_module_name or module_name_of(path))
        if not result.changed:
            raise codemod.SkipFile('no migration status literal')
        lines = result.source.splitlines()
        for number in result.long_lines:
            self.warn('%s:%d: %d columns, longer than %d after the rewrite;'
                      ' break it by hand' % (
                          path, number, len(lines[number - 1]), MAX_LINE))
        return cst.parse_module(result.source)
