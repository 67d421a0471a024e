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

"""Per-type state machines for Nova's ``Migration.status``.

The names below are the public API. Those that need oslo.versionedobjects
are imported on first use, so ``import nova_migration_sm`` stays cheap for
tools that only read the machines.
"""

import importlib

from nova_migration_sm.exceptions import InvalidMigrationStatusTransition
from nova_migration_sm.exceptions import MigrationStateMachineError
from nova_migration_sm.exceptions import MigrationStatusConflict
from nova_migration_sm.statuses import MigrationStatus
from nova_migration_sm.statuses import MigrationType

_LAZY = {
    'MigrationStatusField': 'nova_migration_sm.fields',
    'MigrationStateMachineMixin': 'nova_migration_sm.mixin',
}

__all__ = ['InvalidMigrationStatusTransition', 'MigrationStateMachineError',
           'MigrationStatusConflict', 'MigrationStatus', 'MigrationType',
           *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
