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

"""What a racing writer process saves: Nova's ``objects.Migration``.

With the patch applied, ``objects.Migration`` is Nova's own 1.9 (its
status checked by nova_migration_sm's mixin); its ``save()`` writes
through Nova's ``db.migration_update(..., expected_statuses=...)``.
Imported once by the writers' fork server
(:mod:`tests.functional.racing`).
"""

from nova import context as nova_context
from nova.db.main import api as main_db_api
from nova import objects

from tests.functional import racing

objects.register_all()


def admin_context(db_url: str):
    """An admin context whose DB API uses ``db_url`` (as a cell's)."""
    context = nova_context.get_admin_context()
    context.db_connection = main_db_api.create_context_manager(db_url)
    return context


def writer_api(db_url: str):
    """Nova's objects, local to this process's database."""
    return racing.migration_api(objects.Migration, admin_context(db_url))
