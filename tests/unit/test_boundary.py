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

"""The boundary: the library never imports Nova; Nova imports the library.

Every module of the package is parsed (not imported, so an import inside a
function or behind a condition counts too) and each ``import`` and
``from ... import`` it makes is checked.
"""

import ast
import pathlib

import testtools

import nova_migration_sm

PACKAGE = pathlib.Path(nova_migration_sm.__file__).parent


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in ``tree``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.append((node.lineno, node.module))
    return found


def imports_nova(module: str) -> bool:
    return module == 'nova' or module.startswith('nova.')


class TestBoundary(testtools.TestCase):

    def test_no_module_of_the_package_imports_nova(self):
        modules = sorted(PACKAGE.rglob('*.py'))
        self.assertGreater(len(modules), 20)
        offending = [
            '%s:%d imports %s' % (path.relative_to(PACKAGE.parent), line,
                                  module)
            for path in modules
            for line, module in imported_modules(
                ast.parse(path.read_text(), filename=str(path)))
            if imports_nova(module)]
        self.assertEqual([], offending)

    def test_the_walk_finds_every_form_of_import(self):
        tree = ast.parse(
            'import nova\n'
            'import os, nova.objects as o\n'
            'from nova import objects\n'
            'def f():\n'
            '    from nova.objects import migration\n'
            'from . import nova\n'
            'import nova_migration_sm.fields\n'
            'from novaclient import client\n')
        self.assertEqual(
            [(1, 'nova'), (2, 'nova.objects'), (3, 'nova'),
             (5, 'nova.objects')],
            [(line, module) for line, module in imported_modules(tree)
             if imports_nova(module)])
