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

"""The conditional write of a checked status move, on Nova's main DB API.

``migration_update_if_status`` is Nova's ``migration_update``
(``nova/db/main/api.py:3216-3223``) preceded, in the same writer
transaction, by ``UPDATE migrations SET status = :to WHERE id = :id AND
status IS NOT DISTINCT FROM :expected``. If that matches no row, another
writer moved the record first: :class:`MigrationStatusConflict` is raised
and the transaction (so nothing) is written. On MySQL and PostgreSQL the
conditional UPDATE also locks the row until the rest of ``values`` is
written by Nova's own ORM code.
"""

from nova.db.main import api as main_api
from nova.db.main import models
from nova import exception as nova_exception
from oslo_db import api as oslo_db_api

from nova_migration_sm.db import cas


@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
@main_api.pick_context_manager_writer
def migration_update_if_status(context, migration_id: int, values: dict,
                               expected_status: str | None):
    """Update a migration only while its row holds ``expected_status``."""
    if not cas.update_if_status(context.session, models.Migration.__table__,
                                migration_id, {'status': values['status']},
                                expected_status):
        raise nova_exception.MigrationNotFound(migration_id=migration_id)
    migration = main_api.migration_get(context, migration_id)
    migration.update(values)
    return migration
