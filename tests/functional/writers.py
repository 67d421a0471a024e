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

"""What a racing writer process saves: the reference ``Migration``.

Imported once by the writers' fork server (:mod:`tests.functional.racing`),
so each writer process starts with the objects loaded.
"""

from nova_migration_sm.reference import context as sm_context
from nova_migration_sm.reference.db import api as db
from nova_migration_sm.reference import objects
from tests.functional import racing


def writer_api(db_url: str):
    """The reference objects, local to this process's database."""
    objects.register_all()
    db.configure(db_url)
    return racing.migration_api(objects.Migration,
                                sm_context.get_admin_context())
