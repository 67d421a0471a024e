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

"""Build the machines and their lookup tables, once, at import time.

Every machine in :data:`nova_migration_sm.definitions.DEFINITIONS` becomes
a frozen :class:`automaton.machines.FiniteMachine` whose events are named
after the target status ("may status go from A to B" is "is event B
actionable in state A"). The hot-path tables (taskflow style) are derived
from those machines, never typed again: checking a move is one ``in`` on a
frozenset and never copies or drives an automaton machine.
"""

from collections.abc import Mapping
import types

from automaton import machines as fsm

from nova_migration_sm import definitions
from nova_migration_sm import exceptions
from nova_migration_sm.statuses import MigrationStatus
from nova_migration_sm.statuses import MigrationType

MachineKey = tuple[str, bool]
"""``(migration_type, cross_cell_move)``."""


def _ordered(statuses: set[str]) -> tuple[str, ...]:
    """Statuses in :data:`MigrationStatus.ALL` order."""
    return tuple(s for s in MigrationStatus.ALL if s in statuses)


def build_machine(
        definition: definitions.MachineDefinition) -> fsm.FiniteMachine:
    """Build the frozen automaton machine of one definition.

    A status with no way out is terminal for automaton; the declared
    ``terminal`` statuses (where Nova considers the move over) may keep
    late edges and are reported by :func:`terminal_statuses` instead.
    """
    moves = [(src, dst) for src, dst, _ in definition.edges
             if src is not definitions.CREATE]
    names = _ordered({s for move in moves for s in move} |
                     {dst for _, dst, _ in definition.edges})
    state_space = [
        {'name': name,
         'is_terminal': not any(src == name for src, _ in moves),
         'next_states': {dst: dst for src, dst in moves if src == name}}
        for name in names]
    machine = fsm.FiniteMachine.build(state_space)
    machine.default_start_state = next(
        dst for src, dst, _ in definition.edges
        if src is definitions.CREATE)
    machine.freeze()
    return machine


def _build_all() -> tuple[dict[MachineKey, fsm.FiniteMachine],
                          dict[MachineKey, definitions.MachineDefinition]]:
    built: dict[MachineKey, fsm.FiniteMachine] = {}
    owners: dict[MachineKey, definitions.MachineDefinition] = {}
    for definition in definitions.DEFINITIONS:
        machine = build_machine(definition)
        for migration_type in definition.migration_types:
            key = (migration_type, definition.cross_cell_move)
            if key in built:
                raise ValueError('Two machines for %s' % (key,))
            built[key] = machine
            owners[key] = definition
    # NOTE: only cold migration and resize move across cells; a cross-cell
    # flag on another type selects that type's only machine.
    for migration_type in MigrationType.ALL:
        for cross_cell in (False, True):
            other = (migration_type, not cross_cell)
            if (migration_type, cross_cell) not in built and other in built:
                built[(migration_type, cross_cell)] = built[other]
                owners[(migration_type, cross_cell)] = owners[other]
    return built, owners


_MACHINES, _DEFINITIONS = _build_all()

_INITIAL: Mapping[MachineKey, tuple[str, ...]] = types.MappingProxyType({
    key: _ordered({dst for src, dst, _ in d.edges
                   if src is definitions.CREATE})
    for key, d in _DEFINITIONS.items()})
_TERMINAL: Mapping[MachineKey, tuple[str, ...]] = types.MappingProxyType({
    key: _ordered(set(d.terminal)) for key, d in _DEFINITIONS.items()})
_STATUSES: Mapping[MachineKey, tuple[str, ...]] = types.MappingProxyType({
    key: _ordered(set(m.states)) for key, m in _MACHINES.items()})
_IN_PROGRESS: Mapping[MachineKey, tuple[str, ...]] = types.MappingProxyType({
    key: _ordered(set(_STATUSES[key]) - set(_TERMINAL[key]))
    for key in _MACHINES})
_NEXT: Mapping[tuple[str, bool, str | None], tuple[str, ...]] = (
    types.MappingProxyType({
        (key[0], key[1], state): _ordered(
            {dst for src, _, dst in machine if src == state})
        for key, machine in _MACHINES.items()
        for state in machine.states} | {
        (key[0], key[1], None): _INITIAL[key] for key in _MACHINES}))

ALLOWED_MOVES: frozenset[tuple[str, bool, str | None, str]] = frozenset(
    {(t, cc, src, dst) for (t, cc), m in _MACHINES.items()
     for src, _, dst in m} |
    {(t, cc, s, s) for (t, cc), states in _STATUSES.items() for s in states} |
    {(t, cc, None, s) for (t, cc), initial in _INITIAL.items()
     for s in initial})
"""Every allowed ``(type, cross_cell_move, from, to)``: moves, same-value
no-ops and creations (``from`` is None). The hot-path table (taskflow's
``_ALLOWED_*_TRANSITIONS``); :func:`is_allowed` is its checked front."""

_WHERE: Mapping[tuple[str, bool, str | None, str], str] = (
    types.MappingProxyType({
        (t, cc, src, dst): where
        for (t, cc), d in _DEFINITIONS.items()
        for src, dst, where in d.edges}))


def _key(migration_type: str, cross_cell_move: bool) -> MachineKey:
    key = (migration_type, bool(cross_cell_move))
    if key not in _MACHINES:
        raise exceptions.UnknownMigrationType(
            migration_type=migration_type,
            allowed=exceptions.quoted(MigrationType.ALL))
    return key


def get_machine(migration_type: str,
                cross_cell_move: bool = False) -> fsm.FiniteMachine:
    """The frozen automaton machine of a migration type.

    Shared and frozen: to drive it, use ``machine.copy(shallow=True)``.
    """
    return _MACHINES[_key(migration_type, cross_cell_move)]


def get_definition(migration_type: str, cross_cell_move: bool = False
                   ) -> definitions.MachineDefinition:
    """The declared definition a type's machine was built from."""
    return _DEFINITIONS[_key(migration_type, cross_cell_move)]


def is_allowed(migration_type: str, from_status: str | None,
               to_status: str, cross_cell_move: bool = False) -> bool:
    """Whether a record of this type may go from one status to another.

    ``from_status=None`` asks whether a record may be created with
    ``to_status``. A same-value write is a no-op and is allowed for any
    status of the type. Raises :class:`UnknownMigrationType` for a type
    with no machine.
    """
    if (migration_type, cross_cell_move, from_status, to_status) in \
            ALLOWED_MOVES:
        return True
    _key(migration_type, cross_cell_move)
    return False


def next_statuses(migration_type: str, status: str | None,
                  cross_cell_move: bool = False) -> tuple[str, ...]:
    """Statuses a record in ``status`` may move to (None: initial ones)."""
    key = _key(migration_type, cross_cell_move)
    return _NEXT.get((key[0], key[1], status), ())


def initial_statuses(migration_type: str,
                     cross_cell_move: bool = False) -> tuple[str, ...]:
    """Statuses a record of the type is created with."""
    return _INITIAL[_key(migration_type, cross_cell_move)]


def terminal_statuses(migration_type: str,
                      cross_cell_move: bool = False) -> tuple[str, ...]:
    """Statuses in which the migration is over.

    A late correction may still follow, such as ``error`` -> ``failed``.
    """
    return _TERMINAL[_key(migration_type, cross_cell_move)]


def in_progress_statuses(migration_type: str,
                         cross_cell_move: bool = False) -> tuple[str, ...]:
    """Statuses of the type that are not terminal."""
    return _IN_PROGRESS[_key(migration_type, cross_cell_move)]


def statuses(migration_type: str,
             cross_cell_move: bool = False) -> tuple[str, ...]:
    """Every status a record of the type can hold."""
    return _STATUSES[_key(migration_type, cross_cell_move)]


def where(migration_type: str, from_status: str | None, to_status: str,
          cross_cell_move: bool = False) -> str | None:
    """The Nova 34.0.0 code that makes a move, or None if none does."""
    key = _key(migration_type, cross_cell_move)
    return _WHERE.get((key[0], key[1], from_status, to_status))


def determine_migration_type(migration) -> str:
    """Nova's guess for a row with no type: resize if the flavor changed.

    ``nova/objects/migration.py:37-48``; ``migration`` is a row, a dict or
    an object with ``old_instance_type_id`` and ``new_instance_type_id``.
    """
    if isinstance(migration, dict):
        old = migration['old_instance_type_id']
        new = migration['new_instance_type_id']
    else:
        old = migration.old_instance_type_id
        new = migration.new_instance_type_id
    return MigrationType.RESIZE if old != new else MigrationType.MIGRATION


def machine_keys() -> tuple[MachineKey, ...]:
    """Every ``(migration_type, cross_cell_move)`` with its own definition.

    Types with no cross-cell variant are listed once, as not cross-cell.
    """
    return tuple((t, cc) for d in definitions.DEFINITIONS
                 for t in d.migration_types
                 for cc in (d.cross_cell_move,))
