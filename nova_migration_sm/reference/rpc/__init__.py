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

"""Remoting like Nova's conductor: the versioned-object indirection API.

A "compute" process sets ``NovaObject.indirection_api`` to a
:class:`~nova_migration_sm.reference.rpc.api.ConductorAPI`; its
``Migration`` ``create()``/``save()``/``get_by_*()`` then run in the
conductor (:class:`~nova_migration_sm.reference.rpc.manager.ConductorManager`),
which holds the database, over oslo.messaging (RabbitMQ). Install the
``reference`` extra: ``pip install 'nova-migration-sm[reference]'``. The
processes the tests run (a conductor, an old 1.8 service) live in
``tests/functional/rig``.
"""

TOPIC = 'nova_migration_sm_conductor'
"""Default RPC topic of the conductor."""

ALLOWED_EXMODS = ('nova_migration_sm.exceptions',
                  'oslo_versionedobjects.exception')
"""Exception modules the caller rebuilds from a remote failure."""
