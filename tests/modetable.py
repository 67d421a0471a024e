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

"""doc/source/reference/warn-mode.csv, read as the tests' expectations.

Every row is keyed by its ``id``; every cell of a mode says what happens:
``raises CLASS``, ``N WARNING(s)``, ``written`` or ``read``.
"""

import csv
import dataclasses
import os
import re

TABLE = os.path.join(os.path.dirname(__file__), '..', 'doc', 'source',
                     'reference', 'warn-mode.csv')
MODES = ('strict', 'warn', 'off')


@dataclasses.dataclass(frozen=True)
class Cell:
    """What one mode does in one case."""

    text: str
    raises: str | None
    """The exception's class name, or None."""
    warnings: int
    read_only: bool
    """A read: the row is left as it is."""

    @classmethod
    def parse(cls, text: str) -> 'Cell':
        raises = re.match(r'raises (\w+)', text)
        counted = re.search(r'(\d+) WARNING', text)
        return cls(text=text, raises=raises.group(1) if raises else None,
                   warnings=int(counted.group(1)) if counted else 0,
                   read_only=text.startswith('read'))

    @property
    def written(self) -> bool:
        return self.raises is None and not self.read_only


def rows(prefixes: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """The table's rows (those whose id starts with a prefix, if given)."""
    with open(TABLE, encoding='utf-8') as f:
        return [row for row in csv.DictReader(f)
                if not prefixes or row['id'].startswith(prefixes)]


class LegacyCases:
    """The ``legacy-*`` rows' cases, for a test case of either objects.

    The test case gives ``objects`` (a module with ``Migration`` and
    ``MigrationList``), ``context`` and ``plant(status)``, which writes a
    live-migration row as an older Nova left it and loads it. Each case
    returns ``(action, migration, target, stored_before)``.
    """

    def legacy_read(self, stack=None):
        from nova_migration_sm import mixin
        planted = [self.plant(s) for s in ('finshed', 'Confirmed', None)]
        mixin._UNKNOWN_REPORTED.clear()

        def read():
            for _ in range(2):
                for migration in planted:
                    loaded = self.objects.Migration.get_by_id(self.context,
                                                              migration.id)
                    self.assertEqual(migration.status, loaded.status)
            listed = self.objects.MigrationList.get_by_filters(self.context,
                                                               {})
            self.assertEqual({'finshed', 'Confirmed', None},
                             {m.status for m in listed})
        return read, planted[0], 'finshed', 'finshed'

    def legacy_rpc(self, stack=None):
        migration = self.plant('finshed')

        def cross():
            for version in ('1.9', '1.8'):
                primitive = migration.obj_to_primitive(
                    target_version=version)
                self.assertEqual(version, primitive['nova_object.version'])
                received = self.objects.Migration.obj_from_primitive(
                    primitive, self.context)
                self.assertEqual('finshed', received.status)
        return cross, migration, 'finshed', 'finshed'

    def _legacy_moves(self, target, status='finshed'):
        migration = self.plant(status)
        migration.status = target
        return migration.save, migration, target, status

    def legacy_to_error(self, stack=None):
        return self._legacy_moves('error')

    def legacy_elsewhere(self, stack=None):
        return self._legacy_moves('completed')

    def legacy_null_elsewhere(self, stack=None):
        return self._legacy_moves('running', status=None)

    LEGACY = {
        'legacy-read': legacy_read, 'legacy-rpc': legacy_rpc,
        'legacy-to-error': legacy_to_error,
        'legacy-elsewhere': legacy_elsewhere,
        'legacy-null-elsewhere': legacy_null_elsewhere,
    }
    """The cases by the table's id."""
