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

"""The rows an audit lists, on disk, so memory does not grow with them.

A :class:`Spool` is a private temporary SQLite database (stdlib
``sqlite3``; SQLite deletes the file when it is closed) with a small page
cache: every affected row of an audit goes there, tagged with its group,
and comes back group by group, oldest first, sorted by SQLite's own
external sort. SQLite rather than home-made spill files: it already
sorts more rows than fit in memory, in bounded memory.

:class:`Rows` hands such rows to :mod:`json` one by one, so a listing is
written as it is read back (:func:`dump`).
"""

import collections.abc
import contextlib
import datetime
import json
import sqlite3

from nova_migration_sm.operators.cannotcheck import CannotCheck

CACHE_KB = 1024
"""SQLite's page cache of a spool; the rest of it is on disk."""
FLUSH_ROWS = 1000
"""Rows buffered before they are written to the spool."""


def _text(when: datetime.datetime | None) -> str | None:
    return None if when is None else when.isoformat(
        sep=' ', timespec='microseconds')


def _time(text: str | None) -> datetime.datetime | None:
    return None if text is None else datetime.datetime.fromisoformat(text)


@contextlib.contextmanager
def _checked():
    """CannotCheck for a temporary file SQLite cannot write or read."""
    try:
        yield
    except sqlite3.Error as error:
        raise CannotCheck(
            'cannot keep the rows listed in a temporary file: %s; set '
            'TMPDIR to a directory with room, or give --examples-only'
            % error) from None


def _temporary_database(table: str) -> sqlite3.Connection:
    """A private temporary SQLite database holding ``table`` (its SQL)."""
    # NOTE: '' is SQLite's private temporary database: a file that exists
    # only while this connection is open. The audit fills it in a worker
    # thread; the output reads it in the main thread.
    connection = sqlite3.connect('', check_same_thread=False)
    connection.execute('PRAGMA cache_size = -%d' % CACHE_KB)
    connection.execute('PRAGMA journal_mode = OFF')
    connection.execute('PRAGMA synchronous = OFF')
    connection.execute('CREATE TABLE %s' % table)
    return connection


class _TemporaryTable:
    """One table of a private temporary SQLite database.

    Written in batches, read back in batches.
    """

    def __init__(self, name: str, columns: tuple[str, ...]) -> None:
        self.connection = _temporary_database('%s (%s)' % (
            name, ', '.join(columns)))
        self.insert = 'INSERT INTO %s VALUES (%s)' % (
            name, ', '.join('?' * len(columns)))
        self.pending: list[tuple] = []

    def _queue(self, values: tuple) -> None:
        self.pending.append(values)
        if len(self.pending) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            with _checked():
                self.connection.executemany(self.insert, self.pending)
            self.pending = []

    def _select(self, sql: str, parameters: tuple = ()):
        """Every row ``sql`` selects, fetched in batches."""
        self._flush()
        with _checked():
            cursor = self.connection.execute(sql, parameters)
        try:
            while True:
                with _checked():
                    batch = cursor.fetchmany(FLUSH_ROWS)
                if not batch:
                    return
                yield from batch
        finally:
            cursor.close()

    def close(self) -> None:
        self.pending = []
        self.connection.close()


class Spool(_TemporaryTable):
    """Rows of many groups, written once, then read back group by group.

    A row is a tuple of ``columns``; those named in ``datetimes`` hold a
    datetime or None. ``changed_at(row)`` is the row's last change, the
    age :meth:`rows` sorts by.
    """

    def __init__(self, columns: tuple[str, ...], datetimes: tuple[str, ...],
                 changed_at: collections.abc.Callable) -> None:
        super().__init__('rows', ('grp', 'last_change') + columns)
        self.columns = columns
        self.times = tuple(columns.index(name) for name in datetimes)
        self.changed_at = changed_at
        self.groups = 0
        self.indexed = False

    def listing(self) -> 'Listing':
        """A new group's rows."""
        self.groups += 1
        return Listing(self, self.groups)

    def add(self, group: int, row) -> None:
        values = list(row)
        for index in self.times:
            values[index] = _text(values[index])
        self._queue((group, _text(self.changed_at(row)), *values))

    def rows(self, group: int, oldest_first: bool):
        """The group's rows (tuples of the columns).

        In the order added, or oldest first (last change, then id).
        """
        self._flush()
        if oldest_first and not self.indexed:
            # NOTE: once every row is in: SQLite sorts them once, on disk.
            with _checked():
                self.connection.execute(
                    'CREATE INDEX rows_by_age ON rows (grp, last_change, id)')
            self.indexed = True
        order = 'last_change, id' if oldest_first else 'rowid'
        for row in self._select(
                'SELECT %s FROM rows WHERE grp = ? ORDER BY %s' % (
                    ', '.join(self.columns), order), (group,)):
            row = list(row)
            for index in self.times:
                row[index] = _time(row[index])
            yield tuple(row)


class Listing:
    """The rows of one group, kept in a :class:`Spool`."""

    def __init__(self, spool: Spool, group: int) -> None:
        self.spool, self.group, self.count = spool, group, 0

    def append(self, row) -> None:
        self.count += 1
        self.spool.add(self.group, row)

    def __len__(self) -> int:
        return self.count

    def __iter__(self):
        """The rows in the order they were added."""
        return self.spool.rows(self.group, oldest_first=False)

    def oldest_first(self):
        return self.spool.rows(self.group, oldest_first=True)


class Items(_TemporaryTable):
    """Values appended, then read back in that order, from disk.

    Each value is kept as the JSON of ``dump(value)`` in a private
    temporary SQLite database, and comes back as ``load(json)``: a list
    for values too many to hold (a repair's plan).
    """

    def __init__(self, dump: collections.abc.Callable,
                 load: collections.abc.Callable) -> None:
        super().__init__('items', ('value',))
        self.dump, self.load = dump, load
        self.count = 0

    def append(self, value) -> None:
        self.count += 1
        self._queue((json.dumps(self.dump(value)),))

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self):
        for value, in self._select('SELECT value FROM items ORDER BY rowid'):
            yield self.load(json.loads(value))

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    __hash__ = None


class Rows(list):
    """A JSON array whose items are made only as :mod:`json` writes them.

    A list to :mod:`json`'s encoder (which is what makes it an array),
    holding nothing itself: ``len()`` is ``count`` and iterating calls
    ``items()`` again. Only the pure-Python encoder, which :mod:`json`
    uses whenever it indents, iterates a list this way: :func:`dump`.
    """

    def __init__(self, items: collections.abc.Callable, count: int) -> None:
        super().__init__()
        self.items, self.count = items, count

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self):
        return iter(self.items())

    def __eq__(self, other) -> bool:
        return list(iter(self)) == other

    __hash__ = None


def dump(data, stream, indent: int = 2) -> None:
    """``print(json.dumps(data, indent=indent), file=stream)``, in chunks.

    :class:`Rows` are written as they are made, never held whole.
    """
    for chunk in json.JSONEncoder(indent=indent).iterencode(data):
        stream.write(chunk)
    stream.write('\n')
