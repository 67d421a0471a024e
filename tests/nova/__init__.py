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

"""Tests that import Nova 34.0.0 with the integration patched in.

They run in the Nova venv (``tox -e nova-db``), never in ``tox -e py3``:
without ``NOVA_MIGRATION_SM_NOVA_TESTS=1`` this package loads no tests;
with it, a missing Nova is an import error, not a skip.
"""

from tests import gated

NOVA_TESTS_ENV = 'NOVA_MIGRATION_SM_NOVA_TESTS'

load_tests = gated.load_tests_if(NOVA_TESTS_ENV, __file__)
