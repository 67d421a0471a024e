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

"""Tests of ``tools/nova``, the rig that runs Nova's own tests.

They test the scripts, not the library, and run in ``tox -e nova-tools``,
never in ``tox -e py3``: without ``NOVA_MIGRATION_SM_NOVA_TOOLS_TESTS=1``
this package loads no tests. :func:`load` imports a script of
``tools/nova`` (not a package) as the scripts import each other.
"""

import importlib
import os
import sys
import types

from tests import gated

NOVA_TOOLS_TESTS_ENV = 'NOVA_MIGRATION_SM_NOVA_TOOLS_TESTS'

TOOLS = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..',
                                     'tools', 'nova'))


def load(name: str) -> types.ModuleType:
    """``tools/nova/NAME.py``, imported as the scripts import each other."""
    if TOOLS not in sys.path:
        sys.path.insert(0, TOOLS)
    return importlib.import_module(name)


load_tests = gated.load_tests_if(NOVA_TOOLS_TESTS_ENV, __file__)
