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

"""oslo.versionedobjects fields: migration status and migration type."""

from oslo_versionedobjects import fields

from nova_migration_sm import exceptions
from nova_migration_sm.statuses import MigrationStatus
from nova_migration_sm.statuses import MigrationType


class _Short:
    """``%r`` of a value, cut short: a refused megabyte is not echoed."""

    LIMIT = 80

    def __init__(self, value) -> None:
        self.value = value

    def __repr__(self) -> str:
        text = repr(self.value)
        if len(text) <= self.LIMIT:
            return text
        return '%s...(%d characters)' % (text[:self.LIMIT], len(text))


STATUSES_ADDED_AFTER_1_9: dict[tuple[int, int], tuple[str, ...]] = {}
"""Statuses appended to :data:`MigrationStatus.ALL` after ``Migration``
1.9, keyed by the ``Migration`` version that added them.

The rule for the next status ever added: append it to
``MigrationStatus.ALL``, bump ``Migration.VERSION`` and list the status
here under the new version. ``obj_make_compatible`` then refuses to send
it to an older receiver (Nova's ``raise_on_too_new_values``) instead of
passing a value it cannot represent. Below 1.9 ``status`` is a string and
every status up to 1.9 was already written by Nova 34.0.0, so nothing is
listed for 1.9 itself.
"""


def statuses_unknown_to(target_version: tuple[int, int]) -> tuple[str, ...]:
    """Statuses a ``Migration`` of ``target_version`` cannot represent."""
    return tuple(status
                 for version, added in STATUSES_ADDED_AFTER_1_9.items()
                 if target_version < version for status in added)


_VALID_STATUSES = frozenset(MigrationStatus.ALL)


class MigrationStatusEnum(fields.Enum):
    """Enum of :data:`MigrationStatus.ALL`; errors list the valid values."""

    def __init__(self) -> None:
        super().__init__(valid_values=MigrationStatus.ALL)

    def coerce(self, obj, attr, value):
        # NOTE(perf): a frozenset, not the 18-item tuple: this runs on every
        # assignment and every deserialisation of a status.
        if isinstance(value, str) and value in _VALID_STATUSES:
            return value
        raise ValueError(
            'Migration status %r is not valid for %s.%s; valid statuses: %s'
            % (_Short(value), type(obj).__name__, attr,
               exceptions.quoted(MigrationStatus.ALL)))


class MigrationStatusField(fields.BaseEnumField):
    """A ``Migration.status``: one of the 18 statuses Nova writes."""

    AUTO_TYPE = MigrationStatusEnum()


class MigrationTypeEnum(fields.Enum):
    """Enum of :data:`MigrationType.ALL`."""

    def __init__(self) -> None:
        super().__init__(valid_values=MigrationType.ALL)


# NOTE: o.vo writes the enum class's name into the object fingerprint, and
# Nova's is MigrationType: under that name the reference 1.8 object keeps
# Nova 34.0.0's fingerprint. The constants are statuses.MigrationType.
MigrationTypeEnum.__name__ = MigrationTypeEnum.__qualname__ = 'MigrationType'


class MigrationTypeField(fields.BaseEnumField):
    """A ``Migration.migration_type``, as in ``nova/objects/fields.py``."""

    AUTO_TYPE = MigrationTypeEnum()
