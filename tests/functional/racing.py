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

"""Writer processes racing status moves on the same rows; history judged.

Each writer is its own process (``multiprocessing``, forkserver) with its own
database connections, as several conductors are. Every round, all writers
take the same row, meet at a barrier and save: a target drawn from all 18
statuses, or half the time from the lifecycle moves of what the writer saw
(so rows move on and views go stale), from a *fresh* view (the row re-read
this round), a *stale* one (the object the writer kept from an earlier
round, whatever it saw then) or an *unseen* one (an object built with the
row's id and type but no status, as an old 1.8 sender's arrives).

The database records every write in a history table fed by a trigger
(:mod:`tests.functional.history`). :func:`judge_history` then checks every
consecutive pair of each row's history against the second, hand-written
transcription of the machines in ``tests/transcription.py``
(``EXPECTED``, ``expected_judgement``) and what the writer that made it
had seen: a lifecycle move, a same-value write, or a declared race taken
by a stale writer. Anything else counts as *illegal persisted*. A write
the caller was told succeeded must be in the history with its other
values (a *lost update* otherwise), and no write the caller was told
failed may be there.

:data:`MUTATIONS` break the library in the writer processes, so a test
can show each figure able to fail.
"""

import dataclasses
import importlib
import queue
import random
import traceback

from tests.functional import history
from tests import transcription

WRITTEN = 'written'
REFUSED = 'refused'
CONFLICT = 'conflict'
FRESH = 'fresh'
STALE = 'stale'
UNSEEN = 'unseen'
UNKNOWN = transcription.UNKNOWN
"""``seen`` of a writer that never saw the status (an old 1.8 sender)."""

MUTATIONS = {
    'check-off': '[migration_state_machine] enforcement = off: no check, '
                 'no condition on the write',
    'cas-off': 'the compare-and-swap accepts any status the row holds '
               '(the check runs, the write is blind)',
    'cas-lies': 'the compare-and-swap reports a write it never made',
}
"""Ways to break the library, by name; each makes a figure non-zero."""

CREATED_TAG = 'created'
BARRIER_TIMEOUT = 120


@dataclasses.dataclass(frozen=True)
class Row:
    """A raced row: its id and machine."""

    id: int
    migration_type: str
    cross_cell_move: bool

    @property
    def key(self) -> tuple[str, bool]:
        return self.migration_type, self.cross_cell_move


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One save of one writer, as the writer saw it."""

    tag: str
    mark: int
    migration_id: int
    view: str
    seen: str
    target: str
    outcome: str
    """:data:`WRITTEN`, :data:`REFUSED`, :data:`CONFLICT` or
    ``error: <class name>``."""


@dataclasses.dataclass(frozen=True)
class Plan:
    """What every writer process does."""

    writers_module: str
    """A module with ``writer_api(db_url)``: ``load(id)``,
    ``unseen(row)`` (an object that never saw the status), and the
    ``refused`` and ``conflict`` exception classes."""
    db_url: str
    rows: tuple[Row, ...]
    rounds: int
    mutation: str | None = None
    seed: str = 'racing'
    node_urls: tuple[str, ...] = ()
    """The nodes of a multi-master cluster (Galera), the same database
    on each: writer ``i`` connects to node ``i % len(node_urls)``
    instead of ``db_url``."""

    def writer_url(self, index: int) -> str:
        """The database writer ``index`` connects to."""
        if self.node_urls:
            return self.node_urls[index % len(self.node_urls)]
        return self.db_url


def migration_api(migration_class, context):
    """What a writer needs of a ``Migration`` class (see :class:`Plan`).

    ``unseen(row)`` is an object of the row that never saw its status,
    as an old 1.8 sender's arrives: id and type set, no status.
    """
    import types

    from nova_migration_sm import exceptions

    def unseen(row: Row):
        migration = migration_class(context, id=row.id,
                                    migration_type=row.migration_type,
                                    cross_cell_move=row.cross_cell_move)
        migration.obj_reset_changes()
        return migration

    return types.SimpleNamespace(
        load=lambda migration_id: migration_class.get_by_id(
            context, migration_id),
        unseen=unseen,
        refused=exceptions.InvalidMigrationStatusTransition,
        conflict=exceptions.MigrationStatusConflict)


def choose_target(rng: random.Random, key, seen: str) -> str:
    """Half the time a lifecycle move from ``seen``, else any status."""
    lifecycle = transcription.EXPECTED[key][0]
    moves = sorted(dst for src, dst in lifecycle if src == seen)
    if moves and rng.random() < 0.5:
        return rng.choice(moves)
    return rng.choice(transcription.ALL)


def strict() -> None:
    """Enforce strictly in this writer process (the default is warn)."""
    from nova_migration_sm import conf as sm_conf
    sm_conf.register_opts(sm_conf.CONF)
    sm_conf.CONF.set_override('enforcement', sm_conf.STRICT,
                              group=sm_conf.GROUP.name)


def mutate(mutation: str | None) -> None:
    """Break the library in this process as ``mutation`` says."""
    if mutation is None:
        return
    from nova_migration_sm import cas
    from nova_migration_sm import conf as sm_conf
    if mutation == 'check-off':
        sm_conf.register_opts(sm_conf.CONF)
        sm_conf.CONF.set_override('enforcement', sm_conf.OFF,
                                  group='migration_state_machine')
    elif mutation == 'cas-off':
        anything = tuple(transcription.ALL) + (None,)
        real = cas.update_if_status
        cas.update_if_status = (
            lambda session, table, migration_id, values, expected:
            real(session, table, migration_id, values, anything))
    elif mutation == 'cas-lies':
        cas.update_if_status = lambda *args, **kwargs: True
    else:
        raise ValueError('Unknown mutation %r; known: %s' % (
            mutation, ', '.join(sorted(MUTATIONS))))


def _rounds(plan: Plan, index: int, api, barrier) -> list[Attempt]:
    rng = random.Random('%s-%d' % (plan.seed, index))
    held, seen_by, attempts = {}, {}, []
    for round_ in range(plan.rounds):
        row = plan.rows[round_ % len(plan.rows)]
        draw = rng.random()
        if draw < 0.15:
            view, migration, seen = UNSEEN, api.unseen(row), UNKNOWN
        elif row.id in held and draw < 0.7:
            view, migration, seen = STALE, held[row.id], seen_by[row.id]
        else:
            view, migration = FRESH, api.load(row.id)
            seen = migration.status
            held[row.id], seen_by[row.id] = migration, seen
        target = choose_target(rng, row.key, seen)
        tag, mark = 'w%d.%d' % (index, round_), index * 100000 + round_ + 1
        barrier.wait(BARRIER_TIMEOUT)
        migration.status = target
        migration.dest_host = tag
        migration.memory_processed = mark
        try:
            migration.save()
        except api.refused:
            outcome = REFUSED
        except api.conflict:
            outcome = CONFLICT
        except Exception as error:  # noqa: BLE001 - counted and reported
            outcome = 'error: %s' % type(error).__name__
        else:
            outcome = WRITTEN
            if view != UNSEEN:
                seen_by[row.id] = target
        attempts.append(Attempt(tag, mark, row.id, view, seen, target,
                                outcome))
    return attempts


def writer(plan: Plan, index: int, barrier, results) -> None:
    """One writer process: its rounds, then its attempts on ``results``."""
    try:
        strict()
        mutate(plan.mutation)
        api = importlib.import_module(plan.writers_module).writer_api(
            plan.writer_url(index))
        results.put((index, _rounds(plan, index, api, barrier)))
    except BaseException:  # noqa: BLE001 - reported to the parent
        barrier.abort()
        results.put((index, traceback.format_exc()))


def run_writers(plan: Plan, writers: int, timeout: float = 600
                ) -> list[Attempt]:
    """Race ``writers`` processes through ``plan``; every attempt made."""
    import multiprocessing
    # NOTE: forkserver: every writer starts from one clean process that
    # imported the writers once (no threads, no pooled connections).
    context = multiprocessing.get_context('forkserver')
    context.set_forkserver_preload([__name__, plan.writers_module])
    barrier = context.Barrier(writers)
    results = context.Queue()
    processes = [context.Process(target=writer,
                                 args=(plan, index, barrier, results),
                                 daemon=True)
                 for index in range(writers)]
    for process in processes:
        process.start()
    attempts, failures = [], []
    try:
        for _ in processes:
            try:
                index, got = results.get(timeout=timeout)
            except queue.Empty:
                raise RuntimeError('writers did not finish within %ss'
                                   % timeout)
            if isinstance(got, str):
                failures.append('writer %d:\n%s' % (index, got))
            else:
                attempts.extend(got)
    finally:
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
                process.join()
    if failures:
        raise RuntimeError('\n'.join(failures))
    return attempts


@dataclasses.dataclass
class Report:
    """The figures of one race, judged from the database's history."""

    writers: int
    rounds: int = 0
    attempts: int = 0
    written: int = 0
    refused: int = 0
    conflicts: int = 0
    errors: int = 0
    deadlocks_surfaced: int = 0
    """Saves that raised ``DBDeadlock`` (Galera: a certification failure
    no retry absorbed); also counted in ``errors``."""
    certification_failures: int = 0
    """Galera only: the transactions the cluster aborted during the race,
    from its own counters (:mod:`tests.functional.galera`); a save whose
    transaction was aborted got ``DBDeadlock`` from the database."""
    lifecycle_moves: int = 0
    race_moves: int = 0
    same_value: int = 0
    illegal_persisted: int = 0
    lost_updates: int = 0
    unacknowledged_writes: int = 0
    wrong_outcomes: int = 0
    """Refusals of a move the writer's own view allows, or conflicts of
    one it does not (which must be refused whatever the row holds)."""
    broken_histories: int = 0
    problems: list = dataclasses.field(default_factory=list)

    def figures(self) -> dict:
        """The counts, for ``record_figures``."""
        figures = dataclasses.asdict(self)
        figures.pop('problems')
        return figures

    def note(self, field: str, problem: str) -> None:
        setattr(self, field, getattr(self, field) + 1)
        if len(self.problems) < 20:
            self.problems.append('%s: %s' % (field, problem))


def _count_outcomes(report: Report, rows, attempts) -> None:
    keys = {row.id: row.key for row in rows}
    for attempt in attempts:
        report.attempts += 1
        # NOTE: an unseen writer's move is judged from what the row holds,
        # which only the history tells.
        fresh = transcription.expected_judgement(
            keys[attempt.migration_id], attempt.seen, attempt.seen,
            attempt.target, False)
        legal = attempt.seen == UNKNOWN or not isinstance(fresh, type)
        if attempt.outcome == WRITTEN:
            report.written += 1
        elif attempt.outcome == REFUSED:
            report.refused += 1
            if legal and attempt.seen != UNKNOWN:
                report.note('wrong_outcomes', '%s refused %r -> %r' % (
                    attempt.tag, attempt.seen, attempt.target))
        elif attempt.outcome == CONFLICT:
            report.conflicts += 1
            if not legal:
                report.note('wrong_outcomes', '%s: conflict for %r -> %r'
                            % (attempt.tag, attempt.seen, attempt.target))
        else:
            report.errors += 1
            if attempt.outcome == 'error: DBDeadlock':
                report.deadlocks_surfaced += 1
            if len(report.problems) < 20:
                report.problems.append('error: %s %s' % (attempt.tag,
                                                         attempt.outcome))


def _judge_entry(report: Report, row: Row, entry, attempt) -> None:
    what = 'row %d (%s, cross_cell=%s) %r -> %r' % (
        row.id, row.migration_type, row.cross_cell_move, entry.old,
        entry.new)
    if attempt is None:
        report.note('unacknowledged_writes', '%s by unknown writer %r'
                    % (what, entry.tag))
        return
    if attempt.outcome != WRITTEN:
        report.note('unacknowledged_writes', '%s by %s, told %s'
                    % (what, attempt.tag, attempt.outcome))
    if (entry.new, entry.mark) != (attempt.target, attempt.mark):
        report.note('lost_updates', '%s by %s, which wrote %r mark %s' % (
            what, attempt.tag, attempt.target, attempt.mark))
    kind = transcription.expected_judgement(row.key, attempt.seen,
                                            entry.old, entry.new, False)
    if isinstance(kind, type):
        report.note('illegal_persisted', '%s by %s (%s view, saw %r): '
                    'the rule says %s' % (what, attempt.tag, attempt.view,
                                          attempt.seen, kind.__name__))
    elif kind == 'race':
        report.race_moves += 1
    elif kind == 'same-value':
        report.same_value += 1
    else:
        report.lifecycle_moves += 1


def judge_history(rows, entries, attempts, final: dict, writers: int
                  ) -> Report:
    """Judge each row's recorded history; count every outcome.

    ``final`` maps a row id to what it holds at the end:
    ``(status, dest_host, memory_processed)``.
    """
    report = Report(writers=writers)
    _count_outcomes(report, rows, attempts)
    by_tag = {attempt.tag: attempt for attempt in attempts}
    recorded = {}
    for row in rows:
        mine = [entry for entry in entries if entry.migration_id == row.id]
        initial = transcription.EXPECTED[row.key][2]
        if not mine or mine[0].old is not None or mine[0].new not in initial:
            report.note('illegal_persisted', 'row %d was not created in an '
                        'initial status: %s' % (row.id, mine[:1]))
        for before, entry in zip(mine, mine[1:]):
            recorded[entry.tag] = recorded.get(entry.tag, 0) + 1
            if entry.old != before.new:
                report.note('broken_histories', 'row %d: %r after %r'
                            % (row.id, entry.old, before.new))
            _judge_entry(report, row, entry, by_tag.get(entry.tag))
        if mine and final[row.id] != (mine[-1].new, mine[-1].tag,
                                      mine[-1].mark):
            report.note('lost_updates', 'row %d holds %s, its last recorded '
                        'write was %s' % (row.id, final[row.id], mine[-1]))
    for attempt in attempts:
        if attempt.outcome == WRITTEN and recorded.get(attempt.tag) != 1:
            report.note('lost_updates', '%s (%r -> %r on row %d) was '
                        'acknowledged, recorded %d times' % (
                            attempt.tag, attempt.seen, attempt.target,
                            attempt.migration_id,
                            recorded.get(attempt.tag, 0)))
    return report


def read_history(engine, rows, table) -> tuple[list, dict]:
    """The history entries and each row's final values."""
    import sqlalchemy as sa
    entries = history.read(engine)
    with engine.connect() as conn:
        final = {row.id: (row.status, row.dest_host, row.memory_processed)
                 for row in conn.execute(sa.select(
                     table.c.id, table.c.status, table.c.dest_host,
                     table.c.memory_processed))}
    return entries, {row.id: final[row.id] for row in rows}
