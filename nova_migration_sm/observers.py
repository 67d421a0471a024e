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

"""Callbacks told about every checked status move (metrics, test reports).

A callback receives one :class:`CheckedMove` per checked ``create()``,
``create_copy()`` or ``save()``, after the outcome is known, in the
process that checks (the conductor, for a save remoted from a compute).
Nothing is built when no callback is registered.
"""

from collections.abc import Callable
import dataclasses

from nova_migration_sm import machines

OUTCOMES = machines.Outcome.ALL
"""The words of :class:`nova_migration_sm.machines.Outcome`."""


@dataclasses.dataclass(frozen=True)
class CheckedMove:
    """One checked write of ``Migration.status``."""

    operation: str
    """``create``, ``copy`` or ``save``."""
    migration: str
    """The uuid, or ``id=N``."""
    migration_type: str
    cross_cell_move: bool
    seen: str | None
    """What the writer last saw; None on create, ``'?'`` if never seen."""
    persisted: str | None
    """What the row held when the write was judged (``'?'``: not read)."""
    target: str | None
    outcome: str
    """One of :data:`OUTCOMES`."""


Callback = Callable[[CheckedMove], None]
_callbacks: list[Callback] = []


def add(callback: Callback) -> None:
    """Call ``callback(move)`` for every checked move from now on."""
    _callbacks.append(callback)


def remove(callback: Callback) -> None:
    """Stop calling ``callback``."""
    _callbacks.remove(callback)


def active() -> bool:
    """Whether any callback is registered."""
    return bool(_callbacks)


def notify(**fields) -> None:
    """Build a :class:`CheckedMove` and hand it to every callback."""
    if not _callbacks:
        return
    move = CheckedMove(**fields)
    for callback in tuple(_callbacks):
        callback(move)
