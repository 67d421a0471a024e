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

"""Build the machines, once, at import time, and the save rule.

Every definition of :data:`nova_migration_sm.definitions.DEFINITIONS`
becomes one frozen :class:`Machine`: the automaton machine of its lifecycle
(events are named after the target status: "may status go from A to B" is
"is event B actionable in state A"), its tables (the lifecycle, the late
moves, the races) and the sets derived from them. Nothing else derives a
set, a table or a diagram from the definitions: the functions below, the
mixin, :mod:`.diagrams` and ``tools/nova/report.py`` read a
:class:`Machine`. :func:`write_condition` is the whole save rule, from what
the writer saw and what the row holds; checking a move is one ``in`` or
one ``get`` on a frozen table and never drives an automaton machine.

Two words for the end of a migration: a status is *ended* when Nova
considers the migration over (declared ``ended`` in the definitions, left
only by a late move into an error status); a status is *terminal*
for automaton when no move leaves it at all.
"""

from collections.abc import Callable
from collections.abc import Mapping
import dataclasses
import types
import typing

from automaton import machines as fsm

from nova_migration_sm import definitions
from nova_migration_sm import exceptions
from nova_migration_sm.statuses import MigrationStatus
from nova_migration_sm.statuses import MigrationType

CREATE = definitions.CREATE
"""``seen`` and ``from`` of a write that creates the record."""

MachineKey = tuple[str, bool]
"""``(migration_type, cross_cell_move)``."""

UNKNOWN = '?'
"""``seen`` of a writer that never saw the status (an old 1.8 sender, an
object built without loading it). Not a status: none is spelled so."""

ERROR_STATUSES = (MigrationStatus.ERROR, MigrationStatus.FAILED)
"""Where a late move out of an ended status may go; drawn red."""


class Outcome:
    """What a checked write was, or what became of it: one word each.

    The words :func:`judge` and :func:`write_condition` return, and the
    ones :mod:`.observers` record.
    """

    CREATE = 'create'
    """A record created in an initial status."""
    COPY = 'copy'
    """A record created as a copy of another cell's row."""
    LIFECYCLE = 'lifecycle'
    """A lifecycle move."""
    RACE = 'race'
    """A declared race move, by a writer whose view was stale."""
    SAME_VALUE = 'same-value'
    """The status the row holds, written again: a no-op."""
    ALLOWED = 'allowed'
    """Written on condition by a writer that never saw the status."""
    REFUSED = 'refused'
    """Not written: a move the writer's view does not allow."""
    CONFLICT = 'conflict'
    """Not written: the row holds what no stale writer may move from."""
    WARNED = 'warned'
    """Refused by the rule, written anyway (``enforcement = warn``)."""

    ALL = (CREATE, COPY, LIFECYCLE, RACE, SAME_VALUE, ALLOWED, REFUSED,
           CONFLICT, WARNED)


Name = str | Callable[[], str]
"""How a refusal names the migration: its name, or a callable that returns
it, called only when a write is refused (names cost a field read)."""


def _named(migration: Name) -> str:
    return migration() if callable(migration) else migration


class WriteCondition(typing.NamedTuple):
    """What :func:`write_condition` answers."""

    outcome: str
    """An :class:`Outcome` word."""
    expected: tuple[str | None, ...]
    """Write only while the row holds one of these statuses."""


def _ordered(statuses) -> tuple[str, ...]:
    """Statuses in :data:`MigrationStatus.ALL` order."""
    statuses = set(statuses)
    return tuple(s for s in MigrationStatus.ALL if s in statuses)


def _unique(statuses) -> tuple:
    """Statuses in the order given, each once."""
    return tuple(dict.fromkeys(statuses))


def _frozen(mapping: dict) -> Mapping:
    return types.MappingProxyType(mapping)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Machine:
    """One built machine: its automaton machine, tables and derived sets.

    The tables are those of the definition, kept apart the way taskflow
    keeps its allowed transitions apart from the ignored ones: ``edges``
    (the lifecycle: a fresh writer's moves, creations included), ``late``
    (out of an ended status, into error or failed) and ``races`` (only by
    a stale writer).
    """

    definition: definitions.MachineDefinition
    automaton: fsm.FiniteMachine
    """Frozen and shared: drive ``automaton.copy(shallow=True)``."""
    edges: tuple[definitions.Edge, ...]
    late: tuple[definitions.Edge, ...]
    races: tuple[definitions.Race, ...]
    statuses: tuple[str, ...]
    """Every status a record can hold, in enum order."""
    initial: tuple[str, ...]
    ended: tuple[str, ...]
    """Where Nova considers the migration over."""
    in_progress: tuple[str, ...]
    claiming: tuple[str, ...]
    """In progress and holding host resources (not ``landed``)."""
    released: tuple[str, ...]
    errors: tuple[str, ...]
    moves: tuple[definitions.Edge, ...]
    """Lifecycle and late moves between statuses, in the automaton
    machine's order, each with its Nova place."""
    allowed: frozenset[tuple[str | None, str]]
    """A fresh writer's ``(from, to)``: moves, same-value writes and
    creations (``from`` is :data:`CREATE`)."""
    race_moves: frozenset[tuple[str, str]]
    next: Mapping[str | None, tuple[str, ...]]
    """``{from: to statuses}`` of a fresh writer, in definition order."""
    before: Mapping[str, tuple[str, ...]]
    """``{to: statuses}`` the row may hold for a write of ``to`` by a
    writer that never saw the status: lifecycle and race predecessors and
    ``to`` itself."""
    races_before: Mapping[str, tuple[str, ...]]
    where: Mapping[tuple[str | None, str], str]
    race_of: Mapping[tuple[str, str], definitions.Race]

    def __repr__(self) -> str:
        return '<Machine %s>' % self.name

    @property
    def migration_types(self) -> tuple[str, ...]:
        return self.definition.migration_types

    @property
    def cross_cell_move(self) -> bool:
        return self.definition.cross_cell_move

    @property
    def summary(self) -> str:
        return self.definition.summary

    @property
    def name(self) -> str:
        """A file-name-safe name: ``migration-resize-cross-cell``."""
        return '-'.join(self.migration_types +
                        (('cross-cell',) if self.cross_cell_move else ()))

    @property
    def title(self) -> str:
        """``migration and resize (cross-cell)``."""
        return '%s%s' % (' and '.join(self.migration_types),
                         ' (cross-cell)' if self.cross_cell_move else '')


def validate(definition: definitions.MachineDefinition) -> None:
    """Raise ``ValueError`` unless ended means ended.

    No lifecycle ``edges`` leave an ended status; every ``late`` edge
    leaves one for ``error`` or ``failed``; every race lands on a status a
    fresh writer could be moving to (else no stale writer could take it)
    and is no lifecycle edge's twin from a fresh view; nothing is a
    same-value move or listed twice.
    """
    name = definition.summary
    ended = set(definition.ended)
    moves = [(src, dst) for src, dst, _ in definition.lifecycle]
    races = [(p, dst) for p, dst, _, _ in definition.races]
    problems = []
    for src, dst, _ in definition.edges:
        if src in ended:
            problems.append('edge %s -> %s leaves an ended status' %
                            (src, dst))
    for src, dst, _ in definition.late:
        if src not in ended or dst not in ERROR_STATUSES:
            problems.append('late edge %s -> %s must leave an ended '
                            'status for error or failed' % (src, dst))
    reachable = {dst for src, dst in moves if src is not CREATE}
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


def _automaton(definition: definitions.MachineDefinition
               ) -> fsm.FiniteMachine:
    """The frozen automaton machine of a definition's lifecycle.

    A status no move leaves is terminal for automaton; an ended status
    keeps its late moves and is not.
    """
    moves = [(src, dst) for src, dst, _ in definition.lifecycle
             if src is not CREATE]
    names = _ordered({s for move in moves for s in move} |
                     {dst for _, dst, _ in definition.edges})
    state_space = [
        {'name': name,
         'is_terminal': not any(src == name for src, _ in moves),
         'next_states': {dst: dst for src, dst in moves if src == name}}
        for name in names]
    machine = fsm.FiniteMachine.build(state_space)
    machine.default_start_state = next(
        dst for src, dst, _ in definition.edges if src is CREATE)
    machine.freeze()
    return machine


def build(definition: definitions.MachineDefinition) -> Machine:
    """Validate a definition and build its :class:`Machine`, once."""
    validate(definition)
    automaton = _automaton(definition)
    lifecycle = definition.lifecycle
    statuses = _ordered(automaton.states)
    initial = _unique(dst for src, dst, _ in lifecycle if src is CREATE)
    ended = _ordered(definition.ended)
    in_progress = _ordered(set(statuses) - set(ended))
    claiming = _ordered(set(in_progress) - set(definition.landed))
    where = {(src, dst): place for src, dst, place in lifecycle}
    races_before = {dst: _ordered(p for p, d2, _, _ in definition.races
                                  if d2 == dst) for dst in statuses}
    return Machine(
        definition=definition,
        automaton=automaton,
        edges=definition.edges,
        late=definition.late,
        races=definition.races,
        statuses=statuses,
        initial=initial,
        ended=ended,
        in_progress=in_progress,
        claiming=claiming,
        released=tuple(s for s in statuses if s not in claiming),
        errors=_ordered(set(ERROR_STATUSES) & set(statuses)),
        moves=tuple((src, dst, where[(src, dst)])
                    for src, _event, dst in automaton),
        allowed=frozenset(
            {(src, dst) for src, dst, _ in lifecycle} |
            {(s, s) for s in statuses}),
        race_moves=frozenset((p, dst) for p, dst, _, _ in definition.races),
        next=_frozen({state: _unique(dst for src, dst, _ in lifecycle
                                     if src == state)
                      for state in (CREATE,) + statuses}),
        before=_frozen({dst: _ordered(
            {src for src, d2, _ in lifecycle
             if d2 == dst and src is not CREATE} |
            set(races_before[dst]) | {dst}) for dst in statuses}),
        races_before=_frozen(races_before),
        where=_frozen(where),
        race_of=_frozen({(race[0], race[1]): race
                         for race in definition.races}))


def build_machine(
        definition: definitions.MachineDefinition) -> fsm.FiniteMachine:
    """The frozen automaton machine of one definition (validated)."""
    return build(definition).automaton


def _build_all() -> Mapping[MachineKey, Machine]:
    built: dict[MachineKey, Machine] = {}
    for definition in definitions.DEFINITIONS:
        machine = build(definition)
        for migration_type in definition.migration_types:
            key = (migration_type, definition.cross_cell_move)
            if key in built:
                raise ValueError('Two machines for %s' % (key,))
            built[key] = machine
    # NOTE: only cold migration and resize move across cells; a cross-cell
    # flag on another type selects that type's only machine.
    for migration_type in MigrationType.ALL:
        for cross_cell in (False, True):
            other = (migration_type, not cross_cell)
            if (migration_type, cross_cell) not in built and other in built:
                built[(migration_type, cross_cell)] = built[other]
    return _frozen(built)


MACHINES: Mapping[MachineKey, Machine] = _build_all()
"""The built :class:`Machine` of every ``(type, cross_cell_move)``."""

ALLOWED_MOVES: frozenset[tuple[str, bool, str | None, str]] = frozenset(
    (t, cc, src, dst) for (t, cc), m in MACHINES.items()
    for src, dst in m.allowed)
"""Every lifecycle ``(type, cross_cell_move, from, to)``: moves of a fresh
writer, same-value no-ops and creations (``from`` is :data:`CREATE`). The
hot-path table (taskflow's ``_ALLOWED_*_TRANSITIONS``); :func:`is_allowed`
is its checked front."""

RACE_MOVES: frozenset[tuple[str, bool, str, str]] = frozenset(
    (t, cc, persisted, dst) for (t, cc), m in MACHINES.items()
    for persisted, dst in m.race_moves)
"""Every declared race ``(type, cross_cell_move, persisted, to)``: a move
only a writer whose view is stale may make (taskflow's
``_IGNORED_*_TRANSITIONS``)."""

WriteKey = tuple[str, bool, str, str, str]
"""``(type, cross_cell_move, seen, persisted, target)``."""

WRITE_CONDITIONS: Mapping[WriteKey, WriteCondition] = _frozen({
    (t, cc, src, src, dst): WriteCondition(
        Outcome.SAME_VALUE if src == dst else Outcome.LIFECYCLE, (src,))
    for (t, cc), m in MACHINES.items() for src, dst in m.allowed
    if src is not CREATE})
"""What :func:`write_condition` answers a fresh writer, tabulated once:
``{(type, cross_cell_move, seen, persisted, target): WriteCondition}`` for
every lifecycle move and same-value write with ``seen == persisted`` (the
answer holds whatever ``detect_stale_writes``). The hot path is one
``get``; a key that is not here is asked of :func:`write_condition`."""
_WRITE_CONDITION = WRITE_CONDITIONS.get


def get(migration_type: str, cross_cell_move: bool = False) -> Machine:
    """The built :class:`Machine` of a type.

    Raises :class:`UnknownMigrationType` for a type with no machine.
    """
    try:
        return MACHINES[(migration_type, bool(cross_cell_move))]
    except (KeyError, TypeError):
        raise exceptions.UnknownMigrationType(
            migration_type=migration_type,
            allowed=exceptions.quoted(MigrationType.ALL)) from None


def built() -> tuple[Machine, ...]:
    """Every built :class:`Machine` once, in definition order."""
    return tuple(dict.fromkeys(MACHINES.values()))


def get_machine(migration_type: str,
                cross_cell_move: bool = False) -> fsm.FiniteMachine:
    """The frozen automaton machine of a migration type's lifecycle.

    Shared and frozen: to drive it, use ``machine.copy(shallow=True)``.
    """
    return get(migration_type, cross_cell_move).automaton


def get_definition(migration_type: str, cross_cell_move: bool = False
                   ) -> definitions.MachineDefinition:
    """The declared definition a type's machine was built from."""
    return get(migration_type, cross_cell_move).definition


def is_allowed(migration_type: str, from_status: str | None,
               to_status: str, cross_cell_move: bool = False) -> bool:
    """Whether a writer that saw ``from_status`` may write ``to_status``.

    The lifecycle only: ``from_status=CREATE`` asks whether a record may
    be created with ``to_status``; a same-value write is a no-op and is
    allowed for any status of the type. Raises
    :class:`UnknownMigrationType` for a type with no machine.
    """
    if (migration_type, cross_cell_move, from_status, to_status) in \
            ALLOWED_MOVES:
        return True
    get(migration_type, cross_cell_move)
    return False


def is_race(migration_type: str, persisted: str, to_status: str,
            cross_cell_move: bool = False) -> bool:
    """Whether ``persisted -> to_status`` is a declared race move."""
    return (persisted, to_status) in get(migration_type,
                                         cross_cell_move).race_moves


def judge(migration_type: str, *, cross_cell_move: bool = False,
          seen: str | None, persisted: str | None, to_status: str | None,
          detect_stale_writes: bool = False,
          migration: Name = '<unnamed>') -> str:
    """The kind of a write between statuses the type holds, or why not.

    ``seen`` is the status the writer last saw (:data:`CREATE` when it
    creates the record, :data:`UNKNOWN` when it never saw it), ``persisted``
    what the row holds now. Returns :attr:`Outcome.CREATE`,
    :attr:`~Outcome.LIFECYCLE`, :attr:`~Outcome.SAME_VALUE` or
    :attr:`~Outcome.RACE`:

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
    m = get(migration_type, cross_cell_move)
    if seen == UNKNOWN:
        if (persisted, to_status) in m.allowed:
            return Outcome.SAME_VALUE if persisted == to_status \
                else Outcome.LIFECYCLE
        if (persisted, to_status) in m.race_moves:
            return Outcome.RACE
        raise _invalid(m, migration_type, cross_cell_move, migration,
                       persisted, to_status, races=True)
    if (seen, to_status) not in m.allowed:
        raise _invalid(m, migration_type, cross_cell_move, migration, seen,
                       to_status)
    if persisted == seen:
        if seen is CREATE:
            return Outcome.CREATE
        return Outcome.SAME_VALUE if seen == to_status else Outcome.LIFECYCLE
    if not detect_stale_writes:
        if persisted == to_status:
            return Outcome.SAME_VALUE
        if (persisted, to_status) in m.race_moves:
            return Outcome.RACE
    raise exceptions.MigrationStatusConflict(
        migration=_named(migration), migration_type=migration_type,
        cross_cell_move=bool(cross_cell_move), expected=seen,
        actual=persisted, to_status=to_status,
        allowed=() if detect_stale_writes else m.races_before.get(
            to_status, ()))


def write_condition(migration_type: str, *, cross_cell_move: bool = False,
                    seen: str | None, persisted: str | None,
                    target: str | None, detect_stale_writes: bool = False,
                    migration: Name = '<unnamed>') -> WriteCondition:
    """The save rule: the outcome of a write and the statuses it needs.

    ``seen`` is what the writer last saw of the row (a status, None for a
    NULL row, :data:`UNKNOWN` if it never saw it); ``persisted`` what the
    row holds as far as the writer knows: ``seen``, until a conditional
    write found another status. Returns ``(outcome, expected)``: the write
    must happen only while the row holds one of ``expected``.

    * a creation (``seen`` and ``persisted`` are :data:`CREATE`): the
      target must be an initial status, and ``expected`` is empty (there is
      no row to hold anything);
    * ``persisted`` a status the type cannot hold (a legacy row): only a
      move into an error status, or the same value (:func:`judge_unheld`);
    * both unknown: :attr:`Outcome.ALLOWED`, on condition that the row
      holds a status the move may start from (:func:`statuses_before`);
    * else :func:`judge`, on condition that the row still holds
      ``persisted``.

    Raises what :func:`judge` raises; ``ValueError`` for an unknown
    ``persisted`` with a known ``seen``.
    """
    hit = _WRITE_CONDITION(
        (migration_type, cross_cell_move, seen, persisted, target))
    if hit is not None:
        return hit
    m = get(migration_type, cross_cell_move)
    if seen is CREATE or persisted is CREATE:
        if seen is not persisted:
            raise ValueError('a record being created is seen and '
                             'persisted as CREATE')
        return WriteCondition(judge(
            migration_type, cross_cell_move=cross_cell_move, seen=CREATE,
            persisted=CREATE, to_status=target, migration=migration), ())
    if persisted == UNKNOWN:
        if seen != UNKNOWN:
            raise ValueError('persisted is unknown only when seen is')
        return WriteCondition(Outcome.ALLOWED, m.before.get(target, ()))
    if persisted not in m.statuses:
        return WriteCondition(judge_unheld(
            migration_type, cross_cell_move=cross_cell_move,
            persisted=persisted, to_status=target, migration=migration),
            (persisted,))
    return WriteCondition(judge(
        migration_type, cross_cell_move=cross_cell_move, seen=seen,
        persisted=persisted, to_status=target,
        detect_stale_writes=detect_stale_writes, migration=migration),
        (persisted,))


def holds(migration_type: str, status: str | None,
          cross_cell_move: bool = False) -> bool:
    """Whether a row of the type can hold ``status`` (NULL: no)."""
    return status in get(migration_type, cross_cell_move).statuses


def error_statuses(migration_type: str,
                   cross_cell_move: bool = False) -> tuple[str, ...]:
    """The type's statuses that end a migration in error."""
    return get(migration_type, cross_cell_move).errors


def judge_unheld(migration_type: str, *, cross_cell_move: bool = False,
                 persisted: str | None, to_status: str | None,
                 migration: Name = '<unnamed>') -> str:
    """A move from a status the type cannot hold: a legacy row.

    A row in a status Nova's code no longer writes (``finshed``,
    ``Confirmed``, NULL, a live migration ``confirmed``) may only be
    ended, in one of the type's :func:`error_statuses`, as Nova's error
    handling or an operator would end it; writing the status it holds
    again is a no-op. Returns :attr:`Outcome.LIFECYCLE` or
    :attr:`~Outcome.SAME_VALUE`; raises
    :class:`InvalidMigrationStatusTransition` otherwise.
    """
    m = get(migration_type, cross_cell_move)
    if to_status == persisted:
        return Outcome.SAME_VALUE
    if to_status in m.errors:
        return Outcome.LIFECYCLE
    raise exceptions.InvalidMigrationStatusTransition(
        migration=_named(migration), migration_type=migration_type,
        cross_cell_move=bool(cross_cell_move), from_status=persisted,
        to_status=to_status, allowed=m.errors, unheld=True)


def _invalid(m: Machine, migration_type: str, cross_cell_move: bool,
             migration: Name, from_status: str | None, to_status: str | None,
             races: bool = False
             ) -> exceptions.InvalidMigrationStatusTransition:
    allowed = m.next.get(from_status, ())
    if races:
        allowed = _unique(allowed + tuple(
            dst for p, dst, _, _ in m.races if p == from_status))
    # NOTE: the error's kwargs cross RPC; a creation's from_status is None.
    return exceptions.InvalidMigrationStatusTransition(
        migration=_named(migration), migration_type=migration_type,
        cross_cell_move=bool(cross_cell_move),
        from_status=None if from_status is CREATE else from_status,
        to_status=to_status, allowed=allowed)


def statuses_before(migration_type: str, to_status: str,
                    cross_cell_move: bool = False,
                    races_only: bool = False) -> tuple[str, ...]:
    """Statuses a row may hold for a write of ``to_status`` to go ahead.

    Lifecycle predecessors, declared race predecessors and ``to_status``
    itself: the write condition of a writer that never saw the status.
    With ``races_only``, only the races' ``persisted`` statuses.
    """
    m = get(migration_type, cross_cell_move)
    return (m.races_before if races_only else m.before).get(to_status, ())


def next_statuses(migration_type: str, status: str | None,
                  cross_cell_move: bool = False) -> tuple[str, ...]:
    """Statuses a writer that saw ``status`` may move to.

    In definition order; ``status=CREATE``: the initial ones.
    """
    return get(migration_type, cross_cell_move).next.get(status, ())


def races(migration_type: str, cross_cell_move: bool = False
          ) -> tuple[definitions.Race, ...]:
    """The declared race moves of a type, in definition order."""
    return get(migration_type, cross_cell_move).races


def race(migration_type: str, persisted: str, to_status: str,
         cross_cell_move: bool = False) -> definitions.Race | None:
    """The declared race ``persisted -> to_status``, or None."""
    return get(migration_type, cross_cell_move).race_of.get(
        (persisted, to_status))


def initial_statuses(migration_type: str,
                     cross_cell_move: bool = False) -> tuple[str, ...]:
    """Statuses a record of the type is created with."""
    return get(migration_type, cross_cell_move).initial


def ended_statuses(migration_type: str,
                   cross_cell_move: bool = False) -> tuple[str, ...]:
    """Statuses in which the migration is over.

    Only a late move into ``error`` or ``failed`` leaves one.
    """
    return get(migration_type, cross_cell_move).ended


terminal_statuses = ended_statuses
"""The name :func:`ended_statuses` had (kept for callers)."""


def in_progress_statuses(migration_type: str,
                         cross_cell_move: bool = False) -> tuple[str, ...]:
    """Statuses of the type's lifecycle that are not ended."""
    return get(migration_type, cross_cell_move).in_progress


def claiming_statuses(migration_type: str,
                      cross_cell_move: bool = False) -> tuple[str, ...]:
    """In-progress statuses in which the migration holds host resources.

    In progress, minus the statuses in which the instance has landed on
    the destination (an evacuation ``done``): what Nova's resource tracker
    claims for (``migration_get_in_progress_by_host_and_node``).
    """
    return get(migration_type, cross_cell_move).claiming


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
    return get(migration_type, cross_cell_move).released


def statuses_of_every_type(of_type) -> tuple[str, ...]:
    """The union of ``of_type(type, cross_cell_move)`` over every machine.

    For Nova's queries that do not filter on the type, e.g.
    ``statuses_of_every_type(released_statuses)``.
    """
    return _ordered({status for key in MACHINES
                     for status in of_type(*key)})


def statuses(migration_type: str,
             cross_cell_move: bool = False) -> tuple[str, ...]:
    """Every status a record of the type can hold."""
    return get(migration_type, cross_cell_move).statuses


def where(migration_type: str, from_status: str | None, to_status: str,
          cross_cell_move: bool = False) -> str | None:
    """The Nova 34.0.0 code that makes a lifecycle move, or None."""
    return get(migration_type, cross_cell_move).where.get(
        (from_status, to_status))


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
