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

"""Nova's ``Migration`` 1.9: the status checked by the state machine.

:func:`register`, called from Nova's ``nova.objects.register_all()``,
registers :class:`Migration` in Nova's ``NovaObjectRegistry``, which makes
``nova.objects.Migration`` this class (lists, RPC and every
``objects.Migration(...)`` get it). ``nova.objects.migration.Migration``
is not rebound: Nova's own methods call ``super(Migration, self)``.

The write stays Nova's: ``Migration.save()`` passes
:meth:`status_write_condition` to ``db.migration_update``, which writes
with one conditional ``UPDATE`` (``tools/nova/nova-34.0.0.patch``). A test
that stubs ``nova.objects.migration.Migration.save`` therefore stubs the
write and nothing else: the check still runs, and reads nothing.

``MigrationList`` stays Nova's 1.5: its ``objects`` field names
``'Migration'``, which the registry resolves to this class, and since
version manifests Nova no longer bumps a list for a child's bump
(``Instance`` 2.8 / ``InstanceList`` 2.6, ``ComputeNode`` 1.19 /
``ComputeNodeList`` 1.17), so its fingerprint is unchanged.
"""

from nova.objects import base
from nova.objects import migration as nova_migration

from nova_migration_sm import mixin


class Migration(mixin.MigrationStateMachineMixin, nova_migration.Migration):
    """Nova's ``Migration`` with its status moves checked.

    The mixin brings the 1.9 body: the status field and the backport rule.
    """

    # Version 1.9: status is a MigrationStatusField; create() and save()
    #              check the move against the machine of the type
    VERSION = '1.9'


def register() -> None:
    """Register ``Migration`` 1.9 with Nova, as its only version; idempotent.

    Nova's own 1.8 leaves the registry: o.vo's ``obj_class_from_name``
    prefers an exact version to a compatible newer one, so with 1.8 still
    listed a 1.8 primitive (a save from a Nova 33 compute) would load as
    Nova's unchecked class. Without it, 1.8 loads as this class, checked.

    That a refusal in the conductor reaches a compute host as the same
    class, not a ``RemoteError``, is the patch's ``nova/rpc.py``: it lists
    :mod:`nova_migration_sm.exceptions` in ``ALLOWED_EXMODS``, which
    ``rpc.init()`` reads before ``register_all()`` runs in a service.
    """
    classes = base.NovaObjectRegistry.obj_classes()
    if classes.get('Migration', [None])[0] is not Migration:
        base.NovaObjectRegistry.register(Migration)
    classes['Migration'][:] = [Migration]
