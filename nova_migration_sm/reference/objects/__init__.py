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

"""The reference versioned objects: ``Migration`` 1.9 and its list.

Importing registers nothing; :func:`register_all` does, as Nova's
``nova.objects.register_all()``. Once it ran,
``nova_migration_sm.reference.objects.X`` is the newest registered
version of ``X``.
"""


def register_all() -> None:
    """Register every reference object (calling it again changes nothing)."""
    from nova_migration_sm.reference.objects import base
    from nova_migration_sm.reference.objects import migration

    for cls in (migration.Migration, migration.MigrationList):
        base.NovaObjectRegistry.register(cls)
