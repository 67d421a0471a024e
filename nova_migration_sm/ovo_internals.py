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

"""The oslo.versionedobjects internals the mixin reads, in one place.

o.vo keeps the value of a set field in the instance ``__dict__`` under
``_obj_<name>`` (its private ``base._get_attrname()``) and the names of
changed fields in ``_changed_fields``. The public ``obj_attr_is_set()``
builds the list of every field name on each call and
``obj_what_changed()`` walks nested objects (about 2 us and 30 us); the
check runs on every save, so it reads the storage directly, through these
names only. ``tests/unit/test_ovo_internals.py`` pins the behaviour
against the installed oslo.versionedobjects.
"""


def storage_name(field: str) -> str:
    """The ``__dict__`` key of a set field's value."""
    return '_obj_' + field


ID = storage_name('id')
STATUS = storage_name('status')
MIGRATION_TYPE = storage_name('migration_type')
CROSS_CELL_MOVE = storage_name('cross_cell_move')
UNSET = object()
"""What :func:`value` returns for a field that is not set."""


def value(obj, name: str):
    """The value of a set field (by its storage name), or :data:`UNSET`."""
    return obj.__dict__.get(name, UNSET)


def is_changed(obj, field: str) -> bool:
    """Whether ``field`` was assigned since the changes were last reset."""
    return field in obj._changed_fields


def resets(fields, field: str) -> bool:
    """Whether ``obj_reset_changes(fields)`` resets ``field``'s change.

    o.vo resets every field when ``fields`` is None *or empty* (it tests
    ``if fields:``), only the named ones otherwise.
    """
    return not fields or field in fields
