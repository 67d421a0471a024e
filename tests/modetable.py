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
