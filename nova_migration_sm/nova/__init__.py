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

Nova's ``nova.objects.register_all()`` calls
:func:`nova_migration_sm.nova.objects.register` (with the patch in
``tools/nova/nova-34.0.0.patch``). Importing this package does nothing by
itself. :mod:`nova_migration_sm.nova.fixtures` has the fixture Nova's
tests use to build rows in a status Nova would never create them with.

Nothing in this package is imported by the core: it imports Nova, the core
does not.
"""
