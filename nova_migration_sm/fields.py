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

from nova_migration_sm.statuses import MigrationStatus
from nova_migration_sm.statuses import MigrationType


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
_STRING = fields.String()


def is_known(status) -> bool:
    """Whether ``status`` is one of :data:`MigrationStatus.ALL`."""
    return isinstance(status, str) and status in _VALID_STATUSES


class MigrationStatusEnum(fields.Enum):
    """Enum of :data:`MigrationStatus.ALL` that still carries any string.

    The 18 statuses are its valid values (the object's fingerprint and
    schema name them), but a value Nova's ``StringField`` would carry is
    never refused here: a row written before this release, a typo
    (``finshed``) or another case (``Confirmed``) loads, lists and
    crosses RPC as the string it is, in every enforcement mode. Whether
    such a status may be *written* is the mixin's question, from
    ``[migration_state_machine] enforcement``.
    """

    def __init__(self) -> None:
        super().__init__(valid_values=MigrationStatus.ALL)

    def coerce(self, obj, attr, value):
        # NOTE(perf): a frozenset, not the 18-item tuple: this runs on every
        # assignment and every deserialisation of a status.
        if isinstance(value, str) and value in _VALID_STATUSES:
            return value
        # NOTE: exactly what Nova 34.0.0's StringField does with the value
        # (str() of a str, int, float or datetime; ValueError otherwise).
        return _STRING.coerce(obj, attr, value)

    def stringify(self, value: str) -> str:
        # NOTE: o.vo's Enum refuses to stringify a value it does not know;
        # an object holding a legacy status must still print (and log).
        return _STRING.stringify(value)


class MigrationStatusField(fields.BaseEnumField):
    """A ``Migration.status``: one of the 18 statuses Nova writes.

    Any other string loads as it is (see :class:`MigrationStatusEnum`).
    """

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
