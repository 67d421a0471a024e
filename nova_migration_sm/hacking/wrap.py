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

"""Break the lines a rewrite made too long, inside their brackets.

pep8 style as OpenStack writes it: a line is broken after a comma of a
call, list, tuple, set or dict, the continuation aligned with the first
element (visual indent); when the first element's column leaves too little
room, right after the opening bracket, four columns in (hanging indent);
a ``key: value`` too long for its line after the colon; a comparison or a
boolean expression outside any bracket is first put in parentheses, then
broken after its operator. Only lines holding ``marker`` are touched, so
the rest of the module stays byte for byte as it was.

Why not a formatter (black, yapf): they re-flow whole statements in their
own style, and a Nova reviewer would then read style changes beside each
rewritten literal.
"""

import dataclasses

import libcst as cst
from libcst import metadata

_BRACKETS = (cst.Call, cst.List, cst.Tuple, cst.Set, cst.Dict)
_OPERATIONS = (cst.BooleanOperation, cst.Comparison, cst.BinaryOperation)


@dataclasses.dataclass
class _Break:
    """A place a line can be broken, and what the break does."""

    column: int
    """Where the continuation starts in the line (0-based)."""
    indent: int
    """The continuation's column."""
    node: cst.CSTNode
    """The node whose whitespace becomes a line break."""
    field: str | None
    """That whitespace's field on ``node``; None: re-hang a container."""
    priority: int = 0
    """0: a break; 1: re-hang a container whose elements are too far
    right; 2: after a keyword's or default's ``=`` (Nova's flake8 ignores
    E251 for this case). The lowest that fits wins."""

    delta: int = 0
    """For a re-hang: how far the container's first element moves."""

    def apply(self, node: cst.CSTNode) -> cst.CSTNode:
        if self.field is None:
            return _rehang(node, self.indent, self.delta)
        return node.with_changes(**{self.field: _newline(self.indent)})


class _Shift(cst.CSTTransformer):
    """Move every line break inside a node ``delta`` columns."""

    def __init__(self, delta: int) -> None:
        super().__init__()
        self.delta = delta

    def leave_ParenthesizedWhitespace(self, original, updated):
        width = max(0, len(updated.last_line.value) + self.delta)
        return updated.with_changes(
            last_line=cst.SimpleWhitespace(' ' * width))


def _rehang(node: cst.CSTNode, indent: int, delta: int) -> cst.CSTNode:
    """Hang a container's elements ``indent`` columns in.

    The first element moves to a new line; every line break inside the
    container moves ``delta`` columns with it, so what was aligned with
    the first element stays aligned.
    """
    node = node.visit(_Shift(delta))
    if isinstance(node, cst.Call):
        return node.with_changes(whitespace_before_args=_newline(indent))
    if isinstance(node, cst.List):
        return node.with_changes(lbracket=node.lbracket.with_changes(
            whitespace_after=_newline(indent)))
    if isinstance(node, (cst.Set, cst.Dict)):
        return node.with_changes(lbrace=node.lbrace.with_changes(
            whitespace_after=_newline(indent)))
    return node.with_changes(lpar=[node.lpar[0].with_changes(
        whitespace_after=_newline(indent))] + list(node.lpar[1:]))


def _newline(indent: int) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=[], indent=False,
        last_line=cst.SimpleWhitespace(' ' * indent))


class _Breaks(cst.CSTVisitor):
    """Every place the long lines can be broken, line by line."""

    METADATA_DEPENDENCIES = (metadata.PositionProvider,)

    def __init__(self, lines: dict[int, str], code: str) -> None:
        super().__init__()
        self.lines = lines
        self.code_lines = code.splitlines()
        self.breaks: dict[int, list[_Break]] = {n: [] for n in lines}
        self.depth = 0
        self.statement_values: dict[int, list[cst.BaseExpression]] = {
            n: [] for n in lines}

    def _start(self, node: cst.CSTNode):
        return self.get_metadata(metadata.PositionProvider, node).start

    def _line(self, node: cst.CSTNode) -> int | None:
        line = self._start(node).line
        return line if line in self.lines else None

    def _on_line(self, node: cst.CSTNode, line: int | None = None) -> bool:
        found = self._line(node)
        return found is not None and (line is None or found == line)

    def _add(self, line: int, column: int, indent: int,
             node: cst.CSTNode, field: str | None, priority=0) -> None:
        self.breaks[line].append(_Break(column, indent, node, field,
                                        priority))

    def _equal(self, name: cst.CSTNode, equal, value) -> None:
        """``name=value``: a break after ``=``, the value 4 columns in."""
        line = self._line(value)
        if isinstance(equal, cst.AssignEqual) and line is not None and \
                self._line(name) == line:
            self._add(line, self._start(value).column,
                      self._start(name).column + 4, equal,
                      'whitespace_after', priority=2)

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None:
            self._equal(node.name, node.equal, node.default)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._equal(node.keyword, node.equal, node.value)

    def _text(self, line: int) -> str:
        return self.code_lines[line - 1]

    def _hanging(self, line: int) -> int:
        text = self.lines[line]
        return len(text) - len(text.lstrip()) + 4

    def visit_Call(self, node: cst.Call) -> None:
        self.depth += 1
        self._items(node, [a.value if a.keyword is None else a.keyword
                           for a in node.args], node.args,
                    'whitespace_before_args', node, node)

    def leave_Call(self, node: cst.Call) -> None:
        self.depth -= 1

    def _sequence(self, node, opener, field) -> None:
        self.depth += 1
        elements = list(node.elements)
        starts = [e.key if isinstance(e, cst.DictElement) else
                  e.value if hasattr(e, 'value') else e for e in elements]
        self._items(node, starts, elements, field, opener, node)

    def visit_List(self, node):
        self._sequence(node, node.lbracket, 'whitespace_after')

    def visit_Set(self, node):
        self._sequence(node, node.lbrace, 'whitespace_after')

    def visit_Dict(self, node):
        self._sequence(node, node.lbrace, 'whitespace_after')
        for element in node.elements:
            if isinstance(element, cst.DictElement) and \
                    self._on_line(element.value) and \
                    self._line(element.key) == self._line(element.value):
                self._add(self._line(element.key),
                          self._start(element.value).column,
                          self._start(element.key).column + 4,
                          element, 'whitespace_after_colon')

    def visit_ListComp(self, node):
        self.depth += 1

    def leave_ListComp(self, node):
        self.depth -= 1

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp
    leave_SetComp = leave_DictComp = leave_GeneratorExp = leave_ListComp

    def visit_Tuple(self, node):
        if node.lpar:
            self._sequence(node, node.lpar[0], 'whitespace_after')
        else:
            self.depth += 1

    def leave_List(self, node):
        self.depth -= 1

    leave_Set = leave_Dict = leave_Tuple = leave_List

    def _items(self, node, starts, items, open_field, opener,
               container) -> None:
        if not starts:
            return
        first = self._start(starts[0])
        # every long line the container spans may be saved by hanging its
        # elements 4 columns past the indent of the line it opens on
        text = self._text(first.line)
        hang = len(text) - len(text.lstrip()) + 4
        end = self.get_metadata(metadata.PositionProvider,
                                container).end.line
        # the leftmost of the first element and of the container's other
        # lines lands on the hanging indent
        left = min([first.column] + [
            len(t) - len(t.lstrip())
            for t in self.code_lines[first.line:end] if t.strip()])
        if hang < left:
            for line in range(first.line, end + 1):
                if line in self.lines:
                    self.breaks[line].append(_Break(
                        len(self.lines[line]), hang, container, None,
                        priority=1, delta=hang - left))
        if first.line in self.lines:
            self._add(first.line, first.column, self._hanging(first.line),
                      opener, open_field)
        for item, after in zip(items, starts[1:]):
            comma = getattr(item, 'comma', None)
            line = self._line(after)
            if isinstance(comma, cst.Comma) and line is not None:
                self._add(line, self._start(after).column, first.column,
                          comma, 'whitespace_after')

    def _operation(self, node) -> None:
        inside = self.depth > 0 or bool(node.lpar)
        if not inside:
            return
        start = self._start(node).column
        if isinstance(node, cst.Comparison):
            pairs = [(t.operator, t.comparator) for t in node.comparisons]
        else:
            pairs = [(node.operator, node.right)]
        for operator, right in pairs:
            line = self._line(right)
            if line is not None:
                self._add(line, self._start(right).column, start,
                          operator, 'whitespace_after')

    def visit_BooleanOperation(self, node):
        self._operation(node)

    def visit_Comparison(self, node):
        self._operation(node)

    def visit_BinaryOperation(self, node):
        self._operation(node)

    def visit_SimpleStatementLine(self, node):
        for small in node.body:
            value = getattr(small, 'value', None)
            if isinstance(value, _OPERATIONS) and not value.lpar:
                self._statement_value(value)

    def visit_If(self, node):
        if isinstance(node.test, _OPERATIONS) and not node.test.lpar:
            self._statement_value(node.test)

    visit_While = visit_If

    def _statement_value(self, value: cst.BaseExpression) -> None:
        position = self.get_metadata(metadata.PositionProvider, value)
        for line in range(position.start.line, position.end.line + 1):
            if line in self.statement_values:
                self.statement_values[line].append(value)


class _Swap(cst.CSTTransformer):
    """Replace nodes by identity: ``{id(node): change(updated)}``."""

    def __init__(self, changes: dict) -> None:
        super().__init__()
        self.changes = changes

    def on_leave(self, original, updated):
        change = self.changes.get(id(original))
        return change(updated) if change else updated


def _choose(text: str, breaks: list[_Break], limit: int) -> _Break | None:
    """The rightmost break whose head fits (and continuation, if any)."""
    fitting = [b for b in breaks if b.field is None and b.delta < 0 or
               b.field is not None and (
                   text[:b.column].strip() and
                   len(text[:b.column].rstrip()) <= limit or
                   # an element alone on its line: align it further left
                   not text[:b.column].strip() and b.indent < b.column)]
    if fitting:
        first = min(b.priority for b in fitting)
        fitting = [b for b in fitting if b.priority == first]
    fits = [b for b in fitting
            if b.indent + len(text) - b.column <= limit]
    if not fitting:
        return None
    if first == 1:
        # re-hang the container that moves furthest left
        return min(fitting, key=lambda b: b.delta)
    return max(fits or fitting, key=lambda b: (b.column, -b.indent))


def _break_lines(module: cst.Module, lines: dict[int, str], limit: int
                 ) -> cst.Module:
    """Break each long line once, where it can be."""
    wrapper = metadata.MetadataWrapper(module, unsafe_skip_copy=True)
    found = _Breaks(lines, module.code)
    wrapper.visit(found)
    changes = {}
    for line, text in lines.items():
        chosen = _choose(text, found.breaks[line], limit)
        if chosen is not None and chosen.field is None:
            # a re-hang moves whole lines: alone in its round, the other
            # lines are measured again after it
            return module.visit(_Swap({id(chosen.node): chosen.apply}))
        if chosen is not None:
            changes[id(chosen.node)] = chosen.apply
        elif found.statement_values[line]:
            changes[id(found.statement_values[line][0])] = (
                lambda node: node.with_changes(
                    lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))
    if not changes:
        return module
    return module.visit(_Swap(changes))


def long_lines(code: str, limit: int = 79, marker: str = '') -> list[int]:
    """The numbers of the lines longer than ``limit`` holding ``marker``."""
    return [number for number, text in enumerate(code.splitlines(), 1)
            if len(text) > limit and marker in text]


def wrap_long_lines(module: cst.Module, limit: int = 79,
                    marker: str = '') -> cst.Module:
    """Break every line longer than ``limit`` that holds ``marker``.

    Each round breaks every long line once; a line that cannot be broken
    yet may be after its neighbours are. It stops when a round changes
    nothing; :func:`long_lines` then names the lines left too long.
    """
    for _ in range(50):
        code_lines = module.code.splitlines()
        lines = {number: code_lines[number - 1] for number in
                 long_lines(module.code, limit, marker)}
        if not lines:
            break
        broken = _break_lines(module, lines, limit)
        if broken.code == module.code:
            break
        module = broken
    return module
