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

"""Real Nova services over RabbitMQ (``tox -e nova-services``).

The tests start Nova 34.0.0's ``nova-conductor`` and compute-side processes
of Nova 34.0.0 and of a plain Nova 33.0.2 (:mod:`.rig`); they load only
when ``tests/nova/services/run.sh`` sets
``NOVA_MIGRATION_SM_SERVICE_TESTS=1``, so ``tox -e nova-db`` skips them.
"""

from tests import gated

SERVICE_TESTS_ENV = 'NOVA_MIGRATION_SM_SERVICE_TESTS'

load_tests = gated.load_tests_if(SERVICE_TESTS_ENV, __file__)
