#!/usr/bin/env python3
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

"""Check every ``WHERE`` of the machine definitions against a Nova sdist.

Usage::

    tools/nova/citations.py --sdist DIR [--sdist DIR ...]
    tools/nova/citations.py --version 33.0.2 [--version ...] [--download D]
    tools/nova/citations.py --declared [--download D]   # each RELEASES series

``--version`` fetches the sdist with ``pip download --no-deps
--no-binary=:all: nova==X`` (into ``--download``, default a temporary
directory) and unpacks it. The edges, late moves and races come from
:data:`nova_migration_sm.definitions.DEFINITIONS`; a ``WHERE`` that carries
a :class:`~nova_migration_sm.definitions.ReleaseNote` for the sdist's
series is checked as that note says (its own ``WHERE``, or declared absent).

A ``WHERE`` is ``;``-separated parts; a part that starts with
``[S: |T: |S/T: ]PATH:LINE[, :LINE...] FUNCTION`` is a citation, the rest
of the part and any other part are prose. A citation holds when, in
``nova/PATH`` of the sdist (lines are ignored):

* ``FUNCTION`` (``Class.method`` or a bare name) is defined, and
* it makes the move's status write, by statement: ``x.status = 'TO'``,
  ``x['status'] = 'TO'``, ``{'status': 'TO'}``, a ``status='TO'`` keyword,
  ``'TO'`` passed to a call whose name holds ``status``; or the same with
  a parameter ``P`` of ``FUNCTION`` for ``'TO'``, when ``P`` defaults to
  ``'TO'`` or some call in ``nova/`` passes ``P='TO'`` (or ``'TO'`` at
  ``P``'s place to ``FUNCTION``); or, when the part says ``cop(y|ied) ...
  by HELPER``, a call of ``HELPER`` (a whole-object copy);
* ``via PATH:LINE CALLER``: ``CALLER`` is defined there and calls
  ``FUNCTION``;
* ``via|in NAME (:LINE)[, NAME (:LINE)...]``: each ``NAME`` is defined in
  the same file and runs inside ``FUNCTION``: ``with FUNCTION(...)`` in its
  body, or a decorator defined in that file whose body uses ``FUNCTION``.

Prints per sdist: checked, held, declared absent, missing (each with the
move and the reason). Exits 1 when a citation does not hold or nothing was
checked, 2 on bad input.
"""

import argparse
import ast
import collections.abc
import dataclasses
import glob
import os
import re
import subprocess
import sys
import tarfile
import tempfile

from nova_migration_sm import definitions

CITATION = re.compile(
    r'^(?:(?:S/T|S|T): )?(?P<path>[\w/]+\.py):\d+(?:-\d+)?(?:, :\d+)*'
    r'(?: (?P<function>[A-Za-z_][\w.]*))?(?P<rest>.*)$', re.S)
CALLER = re.compile(r' via (?P<path>[\w/]+\.py):\d+(?:-\d+)? '
                    r'(?P<function>[A-Za-z_][\w.]*)')
WRAPPED_NAME = re.compile(r'(\w+) \(:\d+[^)]*\)')
_WRAPPED_ONE = r'\w+ \(:\d+[^)]*\)'
WRAPPED = re.compile(r' (?:via|in) (?P<names>%s(?:, %s)*)' % (
    _WRAPPED_ONE, _WRAPPED_ONE))
COPY = re.compile(r'\bcop(?:y|ied)\b[^;]*? by (?P<helper>\w+)')


class BadInput(Exception):
    """Input the check cannot use; the message is one line."""


@dataclasses.dataclass(frozen=True)
class Citation:
    """One place a ``WHERE`` cites."""

    path: str
    """Relative to ``nova/``."""
    function: str
    caller: tuple[str, str] | None = None
    """``(path, function)`` that calls :attr:`function`."""
    wrapped: tuple[str, ...] = ()
    """Functions that run inside :attr:`function` (same file)."""
    copy_helper: str | None = None


@dataclasses.dataclass(frozen=True)
class Move:
    """A move of a definition and the ``WHERE`` that cites it."""

    machine: str
    kind: str
    """``edge``, ``late`` or ``race``."""
    from_status: definitions.From
    to_status: str
    where: str

    def __str__(self) -> str:
        # NOTE: CREATE prints as CREATE.
        return '%s %s %s -> %s' % (self.machine, self.kind,
                                   self.from_status, self.to_status)


def parse_where(where: str) -> list[Citation]:
    """The citations of a ``WHERE`` (its prose parts are skipped)."""
    found = []
    for part in where.split(';'):
        match = CITATION.match(part.strip())
        if not match or not match.group('function'):
            continue
        rest = match.group('rest')
        caller = CALLER.match(rest)
        wrapped = WRAPPED.match(rest) if not caller else None
        copy = COPY.search(rest)
        found.append(Citation(
            path=match.group('path'), function=match.group('function'),
            caller=(caller.group('path'), caller.group('function'))
            if caller else None,
            wrapped=tuple(WRAPPED_NAME.findall(wrapped.group('names')))
            if wrapped else (),
            copy_helper=copy.group('helper') if copy else None))
    return found


def moves(defs: collections.abc.Iterable[definitions.MachineDefinition]
          = definitions.DEFINITIONS) -> list[Move]:
    """Every edge, late move and race of the definitions, with ``WHERE``."""
    found = []
    for d in defs:
        machine = '/'.join(d.migration_types) + (
            ' cross-cell' if d.cross_cell_move else '')
        for kind, rows in (('edge', d.edges), ('late', d.late)):
            found += [Move(machine, kind, src, dst, where)
                      for src, dst, where in rows]
        found += [Move(machine, 'race', persisted, dst, where)
                  for persisted, dst, where, _ in d.races]
    return found


def _name(node: ast.AST) -> str | None:
    """The last name of a callee or decorator: ``a.b(...)`` is ``b``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _const(node: ast.AST | None, value: str) -> bool:
    return isinstance(node, ast.Constant) and node.value == value


class Source:
    """The parsed ``nova/`` files of one sdist, read on demand."""

    def __init__(self, sdist: str):
        self.root = os.path.join(sdist, 'nova')
        if not os.path.isdir(self.root):
            raise BadInput('%s has no nova/ directory' % sdist)
        self._trees: dict[str, ast.Module | None] = {}
        self._calls: list[ast.Call] | None = None

    def tree(self, path: str) -> ast.Module | None:
        if path not in self._trees:
            full = os.path.join(self.root, path)
            try:
                with open(full, encoding='utf-8') as f:
                    self._trees[path] = ast.parse(f.read(), full)
            except (OSError, SyntaxError):
                self._trees[path] = None
        return self._trees[path]

    def functions(self, path: str) -> dict[str, list[ast.FunctionDef]]:
        """Qualified name (``Class.method``, nested too) to definitions."""
        found: dict[str, list[ast.FunctionDef]] = {}

        def visit(node: ast.AST, prefix: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                      ast.ClassDef)):
                    name = prefix + child.name
                    if not isinstance(child, ast.ClassDef):
                        found.setdefault(name, []).append(child)
                    visit(child, name + '.')
                else:
                    visit(child, prefix)
        tree = self.tree(path)
        if tree is not None:
            visit(tree, '')
        return found

    def find(self, path: str, function: str) -> list[ast.FunctionDef]:
        """The definitions of ``function`` (qualified or bare) in a file."""
        return [node for name, nodes in self.functions(path).items()
                if name == function or name.endswith('.' + function)
                for node in nodes]

    def calls(self) -> list[ast.Call]:
        """Every call in ``nova/`` outside ``nova/tests``."""
        if self._calls is None:
            self._calls = []
            for full in glob.glob(os.path.join(self.root, '**', '*.py'),
                                  recursive=True):
                path = os.path.relpath(full, self.root)
                if path.startswith('tests' + os.sep):
                    continue
                tree = self.tree(path)
                if tree is not None:
                    self._calls += [n for n in ast.walk(tree)
                                    if isinstance(n, ast.Call)]
        return self._calls


def _writes(node: ast.AST, value: ast.AST | None) -> ast.AST | None:
    """The status a statement or expression writes, as its value node."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if (isinstance(target, ast.Attribute) and target.attr == 'status'
                    or isinstance(target, ast.Subscript)
                    and _const(target.slice, 'status')):
                return node.value
    if isinstance(node, ast.Dict):
        for key, item in zip(node.keys, node.values):
            if _const(key, 'status'):
                return item
    if isinstance(node, ast.Call):
        for keyword in node.keywords:
            if keyword.arg == 'status':
                return keyword.value
        if 'status' in (_name(node) or ''):
            for arg in node.args[1:] or node.args:
                if value is None or _const(arg, getattr(value, 'value', '')):
                    return arg
            return node.args[-1] if node.args else None
    return None


def _parameter_gets(source: Source, function: ast.FunctionDef, name: str,
                    status: str) -> bool:
    """Whether parameter ``name`` of ``function`` ever holds ``status``."""
    args = function.args
    positional = args.posonlyargs + args.args
    defaults = dict(zip([a.arg for a in positional][-len(args.defaults):],
                        args.defaults)) if args.defaults else {}
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs,
                                              args.kw_defaults) if d})
    if _const(defaults.get(name), status):
        return True
    names = [a.arg for a in positional]
    index = names.index(name) if name in names else None
    if index is not None and names and names[0] in ('self', 'cls'):
        index -= 1
    for call in source.calls():
        if any(k.arg == name and _const(k.value, status)
               for k in call.keywords):
            return True
        if (index is not None and _name(call) == function.name
                and index < len(call.args)
                and _const(call.args[index], status)):
            return True
    return False


def makes_write(source: Source, function: ast.FunctionDef,
                status: str) -> int | None:
    """The line of ``function``'s statement that writes ``status``."""
    params = {a.arg for a in function.args.posonlyargs + function.args.args
              + function.args.kwonlyargs}
    for node in ast.walk(function):
        value = _writes(node, ast.Constant(status))
        if value is None:
            continue
        if _const(value, status):
            return node.lineno
        if (isinstance(value, ast.Name) and value.id in params
                and _parameter_gets(source, function, value.id, status)):
            return node.lineno
    return None


def _calls(function: ast.FunctionDef, name: str) -> bool:
    return any(isinstance(n, ast.Call) and _name(n) == name
               for n in ast.walk(function))


def _runs_inside(source: Source, path: str, wrapped: ast.FunctionDef,
                 wrapper: str) -> bool:
    """``with wrapper(...)`` in its body, or a decorator that uses it."""
    for node in ast.walk(wrapped):
        if isinstance(node, ast.With) and any(
                _name(item.context_expr) == wrapper for item in node.items):
            return True
    for decorator in wrapped.decorator_list:
        name = _name(decorator)
        if name and any(_calls(d, wrapper) for d in source.find(path, name)):
            return True
    return False


def check(source: Source, cite: Citation, status: str) -> str | None:
    """Why a citation does not hold in an sdist; ``None`` when it holds."""
    if source.tree(cite.path) is None:
        return 'nova/%s is missing or does not parse' % cite.path
    found = source.find(cite.path, cite.function)
    if not found:
        return '%s is not defined in nova/%s' % (cite.function, cite.path)
    if cite.copy_helper:
        if not any(_calls(f, cite.copy_helper) for f in found):
            return '%s no longer calls %s (the copy)' % (
                cite.function, cite.copy_helper)
    elif not any(makes_write(source, f, status) for f in found):
        return "%s no longer writes status '%s'" % (cite.function, status)
    if cite.caller:
        path, caller = cite.caller
        callers = source.find(path, caller)
        if not callers:
            return '%s (the caller) is not defined in nova/%s' % (caller,
                                                                  path)
        short = cite.function.rsplit('.', 1)[-1]
        if not any(_calls(c, short) for c in callers):
            return '%s no longer calls %s' % (caller, short)
    for name in cite.wrapped:
        nodes = source.find(cite.path, name)
        if not nodes:
            return '%s (run inside %s) is not defined in nova/%s' % (
                name, cite.function, cite.path)
        if not any(_runs_inside(source, cite.path, n, cite.function)
                   for n in nodes):
            return '%s no longer runs inside %s' % (name, cite.function)
    return None


@dataclasses.dataclass
class Report:
    """The outcome for one sdist."""

    label: str
    checked: int = 0
    held: int = 0
    absent: list[str] = dataclasses.field(default_factory=list)
    missing: list[str] = dataclasses.field(default_factory=list)

    def lines(self) -> list[str]:
        out = ['%s: %d citations checked, %d held, %d missing; %d moves '
               'declared absent' % (self.label, self.checked, self.held,
                                    len(self.missing), len(self.absent))]
        out += ['  absent: ' + a for a in self.absent]
        out += ['  MISSING: ' + m for m in self.missing]
        if not self.checked:
            out.append('  nothing was checked')
        return out

    @property
    def ok(self) -> bool:
        return bool(self.checked) and not self.missing


def series_of(sdist: str) -> int | None:
    """Nova's major version from ``PKG-INFO`` or the directory name."""
    try:
        with open(os.path.join(sdist, 'PKG-INFO'), encoding='utf-8') as f:
            match = re.search(r'^Version: (\d+)\.', f.read(), re.M)
    except OSError:
        match = re.search(r'nova-(\d+)\.', os.path.basename(
            os.path.normpath(sdist)))
    return int(match.group(1)) if match else None


def check_sdist(sdist: str, label: str | None = None,
                all_moves: list[Move] | None = None) -> Report:
    """Check every move's citations against one unpacked sdist."""
    source = Source(sdist)
    series = series_of(sdist)
    report = Report(label or os.path.basename(os.path.normpath(sdist)))
    for move in moves() if all_moves is None else all_moves:
        where = move.where
        note = (definitions.release_note(move.where, series)
                if series is not None else None)
        if note is not None:
            if note.where is None:
                report.absent.append('%s: %s' % (move, note.note))
                continue
            where = note.where
        for cite in parse_where(where):
            report.checked += 1
            why = check(source, cite, move.to_status)
            if why is None:
                report.held += 1
            else:
                report.missing.append('%s: %s (%s)' % (move, why, where))
    return report


def fetch(version: str, download: str) -> str:
    """Download and unpack ``nova==version``; the sdist directory."""
    if not re.fullmatch(r'\d+(\.\d+)*', version):
        raise BadInput('not a Nova version: %r' % version)
    sdist = os.path.join(download, 'nova-' + version)
    if os.path.isfile(os.path.join(sdist, 'PKG-INFO')):
        return sdist
    tarball = os.path.join(download, 'nova-%s.tar.gz' % version)
    if not os.path.isfile(tarball):
        done = subprocess.run(
            [sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps',
             '--no-binary=:all:', '--dest', download, 'nova==' + version],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode or not os.path.isfile(tarball):
            raise BadInput('cannot download nova==%s: %s' % (
                version, (done.stderr.strip().splitlines() or ['?'])[-1]))
    with tarfile.open(tarball) as tar:
        tar.extractall(download, filter='data')
    return sdist


def newest(series: int) -> str:
    """The newest ``series.x.y`` release pip can see."""
    done = subprocess.run(
        [sys.executable, '-m', 'pip', 'index', 'versions', 'nova'],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    match = re.search(r'Available versions: (.*)', done.stdout)
    versions = [v for v in (match.group(1).split(', ') if match else [])
                if v.startswith('%d.' % series)]
    if not versions:
        raise BadInput('pip lists no nova %d.x release' % series)
    return versions[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sdist', action='append', default=[],
                        help='an unpacked Nova sdist (repeatable)')
    parser.add_argument('--version', action='append', default=[],
                        help='a Nova release to download (repeatable)')
    parser.add_argument('--declared', action='store_true',
                        help='the newest release of each declared series')
    parser.add_argument('--download', help='where sdists are downloaded')
    args = parser.parse_args(argv)
    try:
        versions = list(args.version)
        if args.declared:
            versions += [newest(r.series) for r in definitions.RELEASES]
        if not versions and not args.sdist:
            raise BadInput('give --sdist, --version or --declared')
        sdists = [(s, None) for s in args.sdist]
        if versions:
            download = args.download or tempfile.mkdtemp(prefix='nova-sdist-')
            os.makedirs(download, exist_ok=True)
            sdists += [(fetch(v, download), 'nova ' + v) for v in versions]
        reports = [check_sdist(s, label) for s, label in sdists]
    except BadInput as exc:
        print('citations: %s' % exc, file=sys.stderr)
        return 2
    for report in reports:
        print('\n'.join(report.lines()))
    return 0 if all(r.ok for r in reports) else 1


if __name__ == '__main__':
    sys.exit(main())
