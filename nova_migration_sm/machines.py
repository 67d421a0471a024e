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
a frozen :class:`automaton.machines.FiniteMachine` of its lifecycle, whose
events are named after the target status ("may status go from A to B" is
"is event B actionable in state A"). The hot-path tables (taskflow style)
are derived from those machines and from the race tables, never typed
again: checking a move is one ``in`` on a frozenset and never copies or
drives an automaton machine. :func:`judge` is the whole rule, from what the
writer saw and what the row holds.
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

UNKNOWN = '?'
"""``seen`` of a writer that never saw the status (an old 1.8 sender, an
object built without loading it). Not a status: none is spelled so."""

ERROR_STATUSES = (MigrationStatus.ERROR, MigrationStatus.FAILED)
"""Where a late edge out of a terminal status may go."""

# Kinds of move judge() returns.
CREATE = 'create'
LIFECYCLE = 'lifecycle'
RACE = 'race'
SAME_VALUE = 'same-value'


def _ordered(statuses: set[str]) -> tuple[str, ...]:
    """Statuses in :data:`MigrationStatus.ALL` order."""
    return tuple(s for s in MigrationStatus.ALL if s in statuses)


def _unique(statuses) -> tuple:
    """Statuses in the order given, each once."""
    return tuple(dict.fromkeys(statuses))


def validate(definition: definitions.MachineDefinition) -> None:
    """Raise ``ValueError`` unless terminal means terminal.

    No lifecycle ``edges`` leave a terminal status; every ``late`` edge
    leaves one for ``error`` or ``failed``; every race lands on a status a
    fresh writer could be moving to (else no stale writer could take it)
    and is no lifecycle edge's twin from a fresh view; nothing is a
    same-value move or listed twice.
    """
    name = definition.summary
    terminal = set(definition.terminal)
    moves = [(src, dst) for src, dst, _ in definition.lifecycle]
    races = [(p, dst) for p, dst, _, _ in definition.races]
    problems = []
    for src, dst, _ in definition.edges:
        if src in terminal:
            problems.append('edge %s -> %s leaves a terminal status' %
                            (src, dst))
    for src, dst, _ in definition.late:
        if src not in terminal or dst not in ERROR_STATUSES:
            problems.append('late edge %s -> %s must leave a terminal '
                            'status for error or failed' % (src, dst))
    reachable = {dst for src, dst in moves if src is not definitions.CREATE}
    for persisted, dst in races:
        if dst not in reachable:
            problems.append('race %s -> %s: no fresh writer moves to %s' %
                            (persisted, dst, dst))
    for pairs in (moves, races):
        if len(pairs) != len(set(pairs)):
            problems.append('a move is listed twice')
        problems += ['%s -> %s is a same-value write' % pair
                     for pair in pairs if pair[0] == pair[1]]
    if problems:
        raise ValueError('%s: %s' % (name, '; '.join(problems)))


def build_machine(
        definition: definitions.MachineDefinition) -> fsm.FiniteMachine:
    """Build the frozen automaton machine of one definition's lifecycle.

    A status with no way out is terminal for automaton; the declared
    ``terminal`` statuses (where Nova considers the move over) may keep
    late edges and are reported by :func:`terminal_statuses` instead.
    """
    validate(definition)
    moves = [(src, dst) for src, dst, _ in definition.lifecycle
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
    key: _unique(dst for src, dst, _ in d.edges
                 if src is definitions.CREATE)
    for key, d in _DEFINITIONS.items()})
_TERMINAL: Mapping[MachineKey, tuple[str, ...]] = types.MappingProxyType({
    key: _ordered(set(d.terminal)) for key, d in _DEFINITIONS.items()})
_STATUSES: Mapping[MachineKey, tuple[str, ...]] = types.MappingProxyType({
    key: _ordered(set(m.states)) for key, m in _MACHINES.items()})
_STATUS_SETS: Mapping[MachineKey, frozenset[str]] = types.MappingProxyType({
    key: frozenset(statuses) for key, statuses in _STATUSES.items()})
_ERRORS: Mapping[MachineKey, tuple[str, ...]] = types.MappingProxyType({
    key: _ordered(set(ERROR_STATUSES) & set(_STATUSES[key]))
    for key in _MACHINES})
_IN_PROGRESS: Mapping[MachineKey, tuple[str, ...]] = types.MappingProxyType({
    key: _ordered(set(_STATUSES[key]) - set(_TERMINAL[key]))
    for key in _MACHINES})
_CLAIMING: Mapping[MachineKey, tuple[str, ...]] = types.MappingProxyType({
    key: _ordered(set(_IN_PROGRESS[key]) - set(_DEFINITIONS[key].landed))
    for key in _MACHINES})
_NEXT: Mapping[tuple[str, bool, str | None], tuple[str, ...]] = (
    types.MappingProxyType({
        (key[0], key[1], state): _unique(
            dst for src, dst, _ in d.lifecycle if src == state)
        for key, d in _DEFINITIONS.items()
        for state in (None,) + _STATUSES[key]}))

ALLOWED_MOVES: frozenset[tuple[str, bool, str | None, str]] = frozenset(
    {(t, cc, src, dst) for (t, cc), m in _MACHINES.items()
     for src, _, dst in m} |
    {(t, cc, s, s) for (t, cc), states in _STATUSES.items() for s in states} |
    {(t, cc, None, s) for (t, cc), initial in _INITIAL.items()
     for s in initial})
"""Every lifecycle ``(type, cross_cell_move, from, to)``: moves of a fresh
writer, same-value no-ops and creations (``from`` is None). The hot-path
table (taskflow's ``_ALLOWED_*_TRANSITIONS``); :func:`is_allowed` is its
checked front."""

RACE_MOVES: frozenset[tuple[str, bool, str, str]] = frozenset(
    (t, cc, persisted, dst) for (t, cc), d in _DEFINITIONS.items()
    for persisted, dst, _, _ in d.races)
"""Every declared race ``(type, cross_cell_move, persisted, to)``: a move
only a writer whose view is stale may make."""

_WHERE: Mapping[tuple[str, bool, str | None, str], str] = (
    types.MappingProxyType({
        (t, cc, src, dst): where
        for (t, cc), d in _DEFINITIONS.items()
        for src, dst, where in d.lifecycle}))
_RACES: Mapping[tuple[str, bool, str, str], definitions.Race] = (
    types.MappingProxyType({
        (t, cc, race[0], race[1]): race
        for (t, cc), d in _DEFINITIONS.items() for race in d.races}))
_BEFORE: Mapping[tuple[str, bool, str], tuple[str, ...]] = (
    types.MappingProxyType({
        (t, cc, dst): _ordered(
            {src for src, d2, _ in d.lifecycle
             if d2 == dst and src is not definitions.CREATE} |
            {p for p, d2, _, _ in d.races if d2 == dst} | {dst})
        for (t, cc), d in _DEFINITIONS.items()
        for dst in _STATUSES[(t, cc)]}))


def _key(migration_type: str, cross_cell_move: bool) -> MachineKey:
    key = (migration_type, bool(cross_cell_move))
    if key not in _MACHINES:
        raise exceptions.UnknownMigrationType(
            migration_type=migration_type,
            allowed=exceptions.quoted(MigrationType.ALL))
    return key


def get_machine(migration_type: str,
                cross_cell_move: bool = False) -> fsm.FiniteMachine:
    """The frozen automaton machine of a migration type's lifecycle.

    Shared and frozen: to drive it, use ``machine.copy(shallow=True)``.
    """
    return _MACHINES[_key(migration_type, cross_cell_move)]


def get_definition(migration_type: str, cross_cell_move: bool = False
                   ) -> definitions.MachineDefinition:
    """The declared definition a type's machine was built from."""
    return _DEFINITIONS[_key(migration_type, cross_cell_move)]


def is_allowed(migration_type: str, from_status: str | None,
               to_status: str, cross_cell_move: bool = False) -> bool:
    """Whether a writer that saw ``from_status`` may write ``to_status``.

    The lifecycle only: ``from_status=None`` asks whether a record may be
    created with ``to_status``; a same-value write is a no-op and is
    allowed for any status of the type. Raises
    :class:`UnknownMigrationType` for a type with no machine.
    """
    if (migration_type, cross_cell_move, from_status, to_status) in \
            ALLOWED_MOVES:
        return True
    _key(migration_type, cross_cell_move)
    return False


def is_race(migration_type: str, persisted: str, to_status: str,
            cross_cell_move: bool = False) -> bool:
    """Whether ``persisted -> to_status`` is a declared race move."""
    _key(migration_type, cross_cell_move)
    return (migration_type, bool(cross_cell_move), persisted,
            to_status) in RACE_MOVES


def judge(migration_type: str, cross_cell_move: bool,
          seen: str | None, persisted: str | None, to_status: str | None,
          detect_stale_writes: bool = False,
          migration: str = '<unnamed>') -> str:
    """The kind of a write, or the exception that refuses it.

    ``seen`` is the status the writer last saw (None when it creates the
    record, :data:`UNKNOWN` when it never saw it), ``persisted`` what the
    row holds now. Returns :data:`CREATE`, :data:`LIFECYCLE`,
    :data:`SAME_VALUE` or :data:`RACE`:

    * seen == persisted: the move must be a lifecycle edge;
    * seen != persisted (a stale view): ``seen -> to`` must be a lifecycle
      edge and ``persisted -> to`` a declared race (or leave the status as
      it is); with ``detect_stale_writes`` every stale write is refused;
    * seen unknown: ``persisted -> to`` must be a lifecycle edge or a
      declared race.

    Raises :class:`InvalidMigrationStatusTransition` for a move the
    writer's own view does not allow, :class:`MigrationStatusConflict` for
    a stale view whose move is no declared race, and
    :class:`UnknownMigrationType`.
    """
    key = _key(migration_type, cross_cell_move)
    t, cc = key
    if seen == UNKNOWN:
        if (t, cc, persisted, to_status) in ALLOWED_MOVES:
            return SAME_VALUE if persisted == to_status else LIFECYCLE
        if (t, cc, persisted, to_status) in RACE_MOVES:
            return RACE
        raise _invalid(key, migration, persisted, to_status, races=True)
    if (t, cc, seen, to_status) not in ALLOWED_MOVES:
        raise _invalid(key, migration, seen, to_status)
    if persisted == seen:
        if seen is None:
            return CREATE
        return SAME_VALUE if seen == to_status else LIFECYCLE
    if not detect_stale_writes:
        if persisted == to_status:
            return SAME_VALUE
        if (t, cc, persisted, to_status) in RACE_MOVES:
            return RACE
    raise exceptions.MigrationStatusConflict(
        migration=migration, migration_type=t, cross_cell_move=cc,
        expected=seen, actual=persisted, to_status=to_status,
        allowed=() if detect_stale_writes else statuses_before(
            t, to_status, cc, races_only=True))


def holds(migration_type: str, status: str | None,
          cross_cell_move: bool = False) -> bool:
    """Whether a row of the type can hold ``status`` (NULL: no)."""
    return status in _STATUS_SETS[_key(migration_type, cross_cell_move)]


def error_statuses(migration_type: str,
                   cross_cell_move: bool = False) -> tuple[str, ...]:
    """The type's statuses that end a migration in error."""
    return _ERRORS[_key(migration_type, cross_cell_move)]


def judge_unheld(migration_type: str, cross_cell_move: bool,
                 persisted: str | None, to_status: str | None,
                 migration: str = '<unnamed>') -> str:
    """A move from a status the type cannot hold: a legacy row.

    A row in a status Nova's code no longer writes (``finshed``,
    ``Confirmed``, NULL, a live migration ``confirmed``) may only be
    ended, in one of the type's :func:`error_statuses`, as Nova's error
    handling or an operator would end it; writing the status it holds
    again is a no-op. Returns :data:`LIFECYCLE` or :data:`SAME_VALUE`;
    raises :class:`InvalidMigrationStatusTransition` otherwise.
    """
    key = _key(migration_type, cross_cell_move)
    if to_status == persisted:
        return SAME_VALUE
    if to_status in _ERRORS[key]:
        return LIFECYCLE
    raise exceptions.InvalidMigrationStatusTransition(
        migration=migration, migration_type=key[0], cross_cell_move=key[1],
        from_status=persisted, to_status=to_status, allowed=_ERRORS[key],
        unheld=True)


def _invalid(key: MachineKey, migration: str, from_status: str | None,
             to_status: str | None, races: bool = False
             ) -> exceptions.InvalidMigrationStatusTransition:
    allowed = _NEXT.get((key[0], key[1], from_status), ())
    if races:
        allowed = _unique(allowed + tuple(
            dst for (t, cc, p, dst) in _RACES
            if (t, cc) == key and p == from_status))
    return exceptions.InvalidMigrationStatusTransition(
        migration=migration, migration_type=key[0],
        cross_cell_move=key[1], from_status=from_status,
        to_status=to_status, allowed=allowed)


def statuses_before(migration_type: str, to_status: str,
                    cross_cell_move: bool = False,
                    races_only: bool = False) -> tuple[str, ...]:
    """Statuses a row may hold for a write of ``to_status`` to go ahead.

    Lifecycle predecessors, declared race predecessors and ``to_status``
    itself: the write condition of a writer that never saw the status.
    With ``races_only``, only the races' ``persisted`` statuses.
    """
    key = _key(migration_type, cross_cell_move)
    if races_only:
        return _ordered({p for (t, cc, p, dst) in _RACES
                         if (t, cc) == key and dst == to_status})
    return _BEFORE.get((key[0], key[1], to_status), ())


def next_statuses(migration_type: str, status: str | None,
                  cross_cell_move: bool = False) -> tuple[str, ...]:
    """Statuses a writer that saw ``status`` may move to.

    In definition order; ``status=None``: the initial ones.
    """
    key = _key(migration_type, cross_cell_move)
    return _NEXT.get((key[0], key[1], status), ())


def races(migration_type: str, cross_cell_move: bool = False
          ) -> tuple[definitions.Race, ...]:
    """The declared race moves of a type, in definition order."""
    return get_definition(migration_type, cross_cell_move).races


def race(migration_type: str, persisted: str, to_status: str,
         cross_cell_move: bool = False) -> definitions.Race | None:
    """The declared race ``persisted -> to_status``, or None."""
    key = _key(migration_type, cross_cell_move)
    return _RACES.get((key[0], key[1], persisted, to_status))


def initial_statuses(migration_type: str,
                     cross_cell_move: bool = False) -> tuple[str, ...]:
    """Statuses a record of the type is created with."""
    return _INITIAL[_key(migration_type, cross_cell_move)]


def terminal_statuses(migration_type: str,
                      cross_cell_move: bool = False) -> tuple[str, ...]:
    """Statuses in which the migration is over.

    Only a late edge into ``error`` or ``failed`` leaves one.
    """
    return _TERMINAL[_key(migration_type, cross_cell_move)]


def in_progress_statuses(migration_type: str,
                         cross_cell_move: bool = False) -> tuple[str, ...]:
    """Statuses of the type's lifecycle that are not terminal."""
    return _IN_PROGRESS[_key(migration_type, cross_cell_move)]


def claiming_statuses(migration_type: str,
                      cross_cell_move: bool = False) -> tuple[str, ...]:
    """In-progress statuses in which the migration holds host resources.

    In progress, minus the statuses in which the instance has landed on
    the destination (an evacuation ``done``): what Nova's resource tracker
    claims for (``migration_get_in_progress_by_host_and_node``).
    """
    return _CLAIMING[_key(migration_type, cross_cell_move)]


def waiting_statuses(migration_type: str,
                     cross_cell_move: bool = False) -> tuple[str, ...]:
    """In-progress statuses in which the migration waits for the user.

    A resize in VERIFY_RESIZE: however old, only the user's confirm or
    revert (or the operator) ends it.
    """
    return _ordered(set(get_definition(migration_type,
                                       cross_cell_move).waiting))


def released_statuses(migration_type: str,
                      cross_cell_move: bool = False) -> tuple[str, ...]:
    """Statuses of the type in which the migration holds no host resource.

    Its ends, and the statuses in which it has landed: the complement of
    :func:`claiming_statuses` among the type's statuses.
    """
    claiming = set(claiming_statuses(migration_type, cross_cell_move))
    return tuple(s for s in statuses(migration_type, cross_cell_move)
                 if s not in claiming)


def statuses_of_every_type(of_type) -> tuple[str, ...]:
    """The union of ``of_type(type, cross_cell_move)`` over every machine.

    For Nova's queries that do not filter on the type, e.g.
    ``statuses_of_every_type(released_statuses)``.
    """
    return _ordered({status for key in _MACHINES
                     for status in of_type(*key)})


def statuses(migration_type: str,
             cross_cell_move: bool = False) -> tuple[str, ...]:
    """Every status a record of the type can hold."""
    return _STATUSES[_key(migration_type, cross_cell_move)]


def where(migration_type: str, from_status: str | None, to_status: str,
          cross_cell_move: bool = False) -> str | None:
    """The Nova 34.0.0 code that makes a lifecycle move, or None."""
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
