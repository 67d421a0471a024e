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

"""The package's layers, read from its source: arrows run down only.

Every ``import`` of the package counts, at module level or inside a
function (a function-level import is a cycle that waits for its caller).
The graph is built with :mod:`ast`, importing nothing.
"""

import ast
import os
import re
import subprocess
import sys

import testtools

import nova_migration_sm

PACKAGE = os.path.dirname(nova_migration_sm.__file__)

ABOVE = {
    # layer: the layers it may import (the core is the top-level modules)
    'core': set(),
    'reference': {'core'},
    'operators': {'core'},
    'hacking': {'core'},
    'cmd': {'core', 'reference', 'operators', 'hacking'},
}
"""Written by hand; doc/source/layers.rst draws the same arrows."""

DOC = os.path.join(os.path.dirname(PACKAGE), 'doc', 'source', 'layers.rst')

CORE = {
    'cas', 'conf', 'definitions', 'diagrams', 'exceptions', 'extras',
    'fields', 'machines', 'mixin', 'observers', 'ovo_internals', 'statuses',
}
"""The top-level modules: the core, and nothing else."""


def modules(root: str = PACKAGE) -> dict[str, str]:
    """Dotted name -> path of every module of the package."""
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(('.', '_'))]
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                parts = os.path.relpath(path, os.path.dirname(root))[
                    :-3].split(os.sep)
                if parts[-1] == '__init__':
                    parts.pop()
                found['.'.join(parts)] = path
    return found


def imports(name: str, path: str, known) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in it."""
    with open(path) as source:
        tree = ast.parse(source.read(), path)
    package = name if path.endswith('__init__.py') else name.rpartition(
        '.')[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parent = package.split('.')[:len(package.split('.')) -
                                            node.level + 1]
                base = '.'.join(parent + ([base] if base else []))
            targets = [base] + ['%s.%s' % (base, alias.name)
                                for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    # NOTE: importing a module imports its packages first; that is no
    # arrow of the code's own.
    return {t for t in found if not name.startswith(t + '.')}


def layer(name: str) -> str:
    """The folder of a module (its subpackage), or the core."""
    parts = name.split('.')
    return parts[1] if len(parts) > 1 and parts[1] in ABOVE else 'core'


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (a path back to its start), or None."""
    state = {}

    def visit(node, path):
        state[node] = 'open'
        for target in sorted(graph[node]):
            if state.get(target) == 'open':
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target, path + [target])
                if found:
                    return found
        state[node] = 'done'
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def graph_of(root: str = PACKAGE) -> dict[str, set[str]]:
    known = modules(root)
    return {name: imports(name, path, known) for name, path in known.items()}


class TestLayers(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.graph = graph_of()

    def test_no_import_cycle(self):
        self.assertIsNone(cycle(self.graph))

    def test_arrows_run_down_only(self):
        wrong = sorted(
            '%s -> %s' % (name, target)
            for name, targets in self.graph.items()
            for target in targets
            if layer(target) != layer(name)
            and layer(target) not in ABOVE[layer(name)])
        self.assertEqual([], wrong)

    def test_every_folder_is_a_layer_and_the_top_is_the_core(self):
        known = modules()
        top = {name.split('.')[1]: known[name] for name in known
               if name.count('.') == 1}
        self.assertEqual(set(ABOVE) - {'core'}, {
            name for name, path in top.items()
            if path.endswith('__init__.py')})
        self.assertEqual(CORE, {name for name, path in top.items()
                                if not path.endswith('__init__.py')})

    def test_the_picture_in_the_docs_has_these_arrows(self):
        with open(DOC) as page:
            drawn = set(re.findall(r'^ +(\w+) -> (\w+);$', page.read(),
                                   re.MULTILINE))
        self.assertEqual({(name, below) for name, allowed in ABOVE.items()
                          for below in allowed}, drawn)

    def test_registration_is_a_call(self):
        # NOTE: a fresh interpreter: this one's tests registered already.
        code = (
            'from oslo_versionedobjects import base\n'
            'import nova_migration_sm.reference.objects.migration\n'
            'from nova_migration_sm.reference import objects\n'
            'names = base.VersionedObjectRegistry.obj_classes\n'
            'print(sorted(names()), hasattr(objects, "Migration"))\n'
            'objects.register_all()\n'
            'objects.register_all()\n'
            'print(sorted(names()), objects.Migration.VERSION,\n'
            '      len(names()["Migration"]))\n')
        out = subprocess.run([sys.executable, '-c', code], check=True,
                             capture_output=True, text=True).stdout
        self.assertEqual("[] False\n['Migration', 'MigrationList'] 1.9 1\n",
                         out)

    def test_the_cycle_finder_finds_a_cycle(self):
        self.assertEqual(['a', 'b', 'c', 'a'], cycle(
            {'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}))
        self.assertIsNone(cycle({'a': {'b'}, 'b': set()}))
