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

"""Test packages that load their tests only in their own tox env.

``tox -e py3`` discovers every package under ``tests/``; a package whose
tests need another venv (``tests/nova``) or test something else than the
library (``tests/nova_tools``) sets ``load_tests = gated.load_tests_if(
VARIABLE, __file__)`` and loads nothing unless its env sets ``VARIABLE``.
"""

import os
import typing
import unittest


def load_tests_if(variable: str, package_file: str) -> typing.Callable:
    """A ``load_tests`` discovering the package if ``variable`` is set."""
    package = os.path.dirname(os.path.abspath(package_file))
    top = package  # the directory above the outermost package
    while os.path.exists(os.path.join(top, '__init__.py')):
        top = os.path.dirname(top)

    def load_tests(loader: unittest.TestLoader, tests: unittest.TestSuite,
                   pattern: str | None) -> unittest.TestSuite:
        if os.environ.get(variable, '') in ('', '0'):
            return tests
        tests.addTests(loader.discover(package, pattern=pattern or 'test*.py',
                                       top_level_dir=top))
        return tests
    return load_tests
