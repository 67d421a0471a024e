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

"""Nova 34.0.0 integration: the checked ``Migration`` 1.9 inside Nova.

Importing :mod:`nova_migration_sm.nova.objects` (Nova's
``nova.objects.register_all()`` does, with the patch in
``tools/nova/nova-34.0.0.patch``) registers a ``Migration`` 1.9 that
subclasses Nova's own 1.8 in ``NovaObjectRegistry``. The registry makes
``nova.objects.Migration`` that subclass, so every migration Nova builds,
loads, lists or receives over RPC is checked; ``nova.objects.migration.
Migration`` stays Nova's class, because Nova's methods call
``super(Migration, self)``.

Nothing in this package is imported by the core: it imports Nova, the core
does not.
"""
