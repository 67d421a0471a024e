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

"""The migration status machines, as data: one move per line.

Each machine has three tables, kept apart the way taskflow keeps its
allowed transitions apart from the ignored ones:

``edges``
    The lifecycle: ``(FROM, TO, WHERE)`` moves that a writer with a fresh
    view of the row makes. ``WHERE`` is the place in Nova 34.0.0 (path
    relative to ``nova/``, line, function) whose code makes that move, so a
    reviewer can check every line against Nova. ``CREATE`` as ``FROM``
    marks the status a new record is created with.
``late``
    The only lifecycle moves out of an ``ended`` status: each goes into
    ``error`` or ``failed`` and is made by the writer that has just written
    the end status itself (an ``errors_out_migration`` wrapper failing after
    it) or that read the row fresh (the orphan cleanup turning ``error``
    into ``failed``). Each line says which.
``races``
    ``(PERSISTED, TO, WHERE, RACE)``: moves Nova makes only when the writer's
    view is stale: the row holds ``PERSISTED`` because another service
    moved it after the writer loaded it. ``RACE`` names the race (a short
    name, a colon, what happens). A writer that saw ``PERSISTED`` itself may
    not make the move.

Nova releases: ``WHERE`` cites Nova 34.0.0. Where an older supported
release (:data:`RELEASES`) makes a move elsewhere, or cannot make it at all,
the edge's ``WHERE`` is a :class:`Where` that carries a
:class:`ReleaseNote` per such release: the move's place in that release, or
why the release never makes it (the machine still allows it, for the
releases that do). ``tools/nova/citations.py`` checks every ``WHERE``
against each release's sdist.

A same-value write is a no-op, never an edge. Nothing here is derived;
:mod:`.machines` builds the automaton machines (from the lifecycle), the
lookup tables, glossary and diagrams from it, and checks at import that an
ended status has no lifecycle exit but its ``late`` ones.
"""

import dataclasses

from nova_migration_sm.statuses import MigrationStatus as S
from nova_migration_sm.statuses import MigrationType as T


@dataclasses.dataclass(frozen=True)
class Release:
    """A Nova release series the library supports."""

    series: int
    """Nova's major version (``31`` is 31.x)."""
    name: str
    """The OpenStack release, e.g. ``2025.1 Epoxy``."""
    slurp: bool = False
    """A SLURP release: operators may upgrade from it straight to the next
    but one."""


RELEASES = (
    Release(31, '2025.1 Epoxy', slurp=True),
    Release(32, '2025.2 Flamingo'),
    Release(33, '2026.1 Gazpacho', slurp=True),
    Release(34, '2026.2'),
)
"""The supported Nova release series, oldest first; ``WHERE`` cites the
last."""


@dataclasses.dataclass(frozen=True)
class ReleaseNote:
    """How older Nova releases differ from Nova 34.0.0 for one move."""

    series: tuple[int, ...]
    """The release series (:attr:`Release.series`) the note is about."""
    note: str
    """What differs there, and why."""
    where: str | None = None
    """The move's ``WHERE`` in those releases (same grammar, their code);
    ``None``: those releases never make the move."""


class Where(str):
    """A ``WHERE`` (Nova 34.0.0) with notes on the releases that differ."""

    releases: tuple[ReleaseNote, ...]

    def __new__(cls, text: str, *releases: ReleaseNote) -> 'Where':
        self = super().__new__(cls, text)
        self.releases = releases
        return self


def release_note(where: str, series: int) -> ReleaseNote | None:
    """The note a ``WHERE`` carries for a release series, if any."""
    for note in getattr(where, 'releases', ()):
        if series in note.series:
            return note
    return None


class _Create:
    """The ``FROM`` of a creating edge: no row yet, which NULL is not."""

    __slots__ = ()

    def __repr__(self) -> str:
        return 'CREATE'

    def __reduce__(self) -> str:
        # NOTE: copies and pickles are this one object.
        return 'CREATE'


CREATE = _Create()
"""The ``FROM`` of an edge that creates the record. Not ``None``: a row
whose status is NULL exists, and ``None`` is what it holds."""

From = str | _Create
"""An edge's ``FROM``: a status, or :data:`CREATE`."""
Edge = tuple[From, str, str]
"""``(FROM, TO, WHERE)``."""
Race = tuple[str, str, str, str]
"""``(PERSISTED, TO, WHERE, RACE)``."""

# NOTE: errors_out_migration (compute/manager.py:112-145) writes 'error' at
# line 124 whatever the status was; each edge it causes names the decorated
# method. The resource tracker's stale-record periodic
# (compute/resource_tracker.py:1627) errors any status it lists as in
# progress or error; it reads the rows fresh, and those moves are all
# already here through other paths.
_ERRORS_OUT = 'compute/manager.py:124 errors_out_migration_ctxt via '
_RT_STALE = 'compute/resource_tracker.py:1627 _update_usage_from_migrations'
_ORPHAN_CLEANUP = ('compute/manager.py:11837 '
                   'ComputeManager._cleanup_incomplete_migrations, which '
                   'reads the error rows fresh (status filter, :11802-11805)')

# Where older releases differ (tools/nova/citations.py checks each).
_PREP_RESIZE = ReleaseNote(
    series=(31, 32, 33),
    note='no _do_prep_resize before 34.0.0: the errors_out_migration_ctxt '
         'wrapper sits in ComputeManager.prep_resize itself',
    where='conductor/tasks/migrate.py:397 MigrationTask.rollback; '
          + _ERRORS_OUT + 'prep_resize (:6443 in 33.0.2, :6278 in 32.2.1, '
          ':6249 in 31.3.1)')
_LIBVIRT_31 = ('31.x: the libvirt driver (virt/libvirt/driver.py '
               'LibvirtDriver._live_migration) waits for the migration '
               'thread on an event and never re-raises its error: the '
               'future.result() is there from 32.x (32.2.1 checked)')
_LIBVIRT_NO_RERAISE_FAILED = ReleaseNote(
    series=(31,),
    note=_LIBVIRT_31 + '; the conductor and vmwareapi paths remain',
    where='conductor/manager.py:550 _live_migrate, same object, right after '
          'live_migrate.py:609 wrote failed (MaxRetriesExceeded); '
          'compute/manager.py:9457 _do_live_migration, same object, when '
          'the vmwareapi driver re-raises after its rollback wrote failed '
          '(virt/vmwareapi/vmops.py:1665-1666)')
_LIBVIRT_NO_RERAISE_CANCELLED = ReleaseNote(
    series=(31,),
    note=(_LIBVIRT_31 + ', and no other driver raises after its rollback '
          'wrote cancelled, so 31.x never makes this move; the machine '
          'keeps it for 32.x and later (an error move, harmless to allow)'))

# The races Nova 34.0.0 runs into: a short name (what diagrams print), a
# colon, then what happens.
SOURCE_COMPUTE_RESTART = (
    'source compute restart: the source compute restarts during the '
    'evacuation and writes completed (compute/manager.py:931 '
    '_destroy_evacuated_instances) while this writer still holds the record '
    'as it loaded it')
CONDUCTOR_ROLLBACK = (
    'conductor rollback: the conductor rolls back with the record it holds, '
    'after a compute moved the row over RPC on its own copy')


def race_name(race: str) -> str:
    """The short name of a race: its text up to the first colon."""
    return race.split(':', 1)[0]


@dataclasses.dataclass(frozen=True)
class MachineDefinition:
    """The declared machine of one or more migration types."""

    migration_types: tuple[str, ...]
    cross_cell_move: bool
    summary: str
    ended: tuple[str, ...]
    """Where Nova considers the migration over (not "in progress"); only
    ``late`` moves leave it. Automaton calls *terminal* a status no move
    leaves at all."""
    edges: tuple[Edge, ...]
    """Lifecycle moves out of statuses that are not ended."""
    late: tuple[Edge, ...] = ()
    """Lifecycle moves out of an ended status, into error or failed."""
    races: tuple[Race, ...] = ()
    """Moves made only by a writer whose view of the row is stale."""
    landed: tuple[str, ...] = ()
    """In progress, yet the instance has landed on the destination and no
    longer holds resources there as a migration: only the source's cleanup
    is left."""
    waiting: tuple[str, ...] = ()
    """In progress, waiting for the user, however long: the server is in
    VERIFY_RESIZE until its confirm or revert (or the
    ``resize_confirm_window`` periodic, off by default). Ending such a row
    is a decision for the operator, never a repair's default."""

    @property
    def lifecycle(self) -> tuple[Edge, ...]:
        """``edges`` then ``late``: every move of a fresh writer."""
        return self.edges + self.late


# Cold migration and resize inside one cell (the two types share the path;
# conductor/tasks/migrate.py:137-138 picks the type from the flavors).
COLD_SAME_CELL = MachineDefinition(
    migration_types=(T.MIGRATION, T.RESIZE),
    cross_cell_move=False,
    ended=(S.CONFIRMED, S.REVERTED, S.ERROR, S.FAILED),
    summary='Cold migration and resize within one cell.',
    edges=(
        # FROM             TO                 WHERE (Nova 34.0.0, nova/...)
        (CREATE,           S.PRE_MIGRATING,   'conductor/tasks/migrate.py:151 MigrationTask._preallocate_migration; compute/resource_tracker.py:426 ResourceTracker._create_migration (legacy)'),
        (S.PRE_MIGRATING,  S.MIGRATING,       'compute/manager.py:6360 ComputeManager._resize_instance (source)'),
        (S.MIGRATING,      S.POST_MIGRATING,  'compute/manager.py:6389 ComputeManager._resize_instance (source)'),
        (S.POST_MIGRATING, S.FINISHED,        'compute/manager.py:6631 ComputeManager._finish_resize (destination)'),
        (S.FINISHED,       S.CONFIRMING,      'compute/api.py:4145 API.confirm_resize (user, or _poll_unconfirmed_resizes)'),
        (S.CONFIRMING,     S.CONFIRMED,       'compute/resource_tracker.py:633 drop_move_claim_at_source via compute/manager.py:5090 _confirm_resize'),
        (S.FINISHED,       S.CONFIRMED,       'compute/resource_tracker.py:633 drop_move_claim_at_source; server deleted in VERIFY_RESIZE, compute/api.py:2651-2685'),
        (S.FINISHED,       S.REVERTING,       'compute/api.py:4073 API.revert_resize'),
        (S.REVERTING,      S.REVERTED,        'compute/resource_tracker.py:654 drop_move_claim_at_dest via compute/manager.py:5650 revert_resize'),
        (S.PRE_MIGRATING,  S.ERROR,           Where('conductor/tasks/migrate.py:397 MigrationTask.rollback; ' + _ERRORS_OUT + '_do_prep_resize (:5997)', _PREP_RESIZE)),
        (S.MIGRATING,      S.ERROR,           _ERRORS_OUT + '_resize_instance (:6354)'),
        (S.POST_MIGRATING, S.ERROR,           _ERRORS_OUT + '_resize_instance (:6354), finish_resize (:6644)'),
        (S.FINISHED,       S.ERROR,           'compute/manager.py:10573 _poll_unconfirmed_resizes; ' + _ERRORS_OUT + 'finish_resize (:6644)'),
        (S.CONFIRMING,     S.ERROR,           _ERRORS_OUT + 'confirm_resize (:4959)'),
        (S.REVERTING,      S.ERROR,           _ERRORS_OUT + 'revert_resize (:5608)'),
    ),
    late=(
        (S.CONFIRMED,      S.ERROR,           _ERRORS_OUT + 'confirm_resize (:4959): same object, after drop_move_claim_at_source wrote confirmed (resource_tracker.py:633), when the rest of _confirm_resize or its finally (:5016-5027) fails'),
        (S.REVERTED,       S.ERROR,           _ERRORS_OUT + 'revert_resize (:5608): same object, after drop_move_claim_at_dest wrote reverted (resource_tracker.py:654); finish_revert_resize (:5659) on the source, with the object the destination sent after writing reverted'),
        (S.ERROR,          S.FAILED,          _ORPHAN_CLEANUP),
    ),
    # finished: confirm and revert look the record up in this status
    # (compute/api.py:4135 API.confirm_resize, :4011 API.revert_resize).
    waiting=(S.FINISHED,),
)

# Cross-cell (snapshot-based) cold migration and resize. Nova keeps two rows
# with one uuid: S in the source cell and T, a copy, in the target cell
# (conductor/tasks/cross_cell_migrate.py). A row cannot tell which it is,
# so the machine is the union of both paths.
COLD_CROSS_CELL = MachineDefinition(
    migration_types=(T.MIGRATION, T.RESIZE),
    cross_cell_move=True,
    ended=(S.CONFIRMED, S.REVERTED, S.ERROR, S.FAILED),
    summary='Cold migration and resize across cells: source (S) and target (T) rows.',
    edges=(
        # FROM             TO                 WHERE (Nova 34.0.0, nova/...)
        (CREATE,           S.PRE_MIGRATING,   'S: conductor/tasks/migrate.py:151 MigrationTask._preallocate_migration; T: conductor/tasks/cross_cell_migrate.py:105-107 TargetDBSetupTask._copy_migrations (copy of the active row by clone_creatable_object)'),
        (S.PRE_MIGRATING,  S.MIGRATING,       'S: compute/manager.py:6261 ComputeManager._prep_snapshot_based_resize_at_source'),
        (S.MIGRATING,      S.POST_MIGRATING,  'S: compute/manager.py:6311 ComputeManager._prep_snapshot_based_resize_at_source'),
        (S.POST_MIGRATING, S.CONFIRMED,       'S: compute/resource_tracker.py:633 drop_move_claim_at_source via compute/manager.py:5249 _confirm_snapshot_based_resize_at_source'),
        (S.POST_MIGRATING, S.REVERTING,       'S: conductor/tasks/cross_cell_migrate.py:1288-1292 RevertResizeTask._update_migration_in_source_cell (read fresh at :1286, status copied from T by _update_source_obj_from_target_cell)'),
        (S.REVERTING,      S.REVERTED,        'S: compute/manager.py:5602 ComputeManager._finish_revert_snapshot_based_resize_at_source; T: compute/resource_tracker.py:654 drop_move_claim_at_dest via compute/manager.py:5433 _revert_snapshot_based_resize_at_dest'),
        (S.PRE_MIGRATING,  S.ERROR,           'S: conductor/tasks/migrate.py:397 MigrationTask.rollback; S: ' + _ERRORS_OUT + 'prep_snapshot_based_resize_at_source (:6195); T: ' + _ERRORS_OUT + 'finish_snapshot_based_resize_at_dest (:6728)'),
        (S.MIGRATING,      S.ERROR,           'S: ' + _ERRORS_OUT + 'prep_snapshot_based_resize_at_source (:6195)'),
        (S.POST_MIGRATING, S.ERROR,           'S: ' + _ERRORS_OUT + 'confirm_snapshot_based_resize_at_source (:5150)'),
        (S.REVERTING,      S.ERROR,           'S: ' + _ERRORS_OUT + 'finish_revert_snapshot_based_resize_at_source (:5450); T: revert_snapshot_based_resize_at_dest (:5337); S/T: conductor/tasks/cross_cell_migrate.py:1462 RevertResizeTask.rollback'),
        (S.PRE_MIGRATING,  S.FINISHED,        'T: compute/manager.py:6809 ComputeManager._finish_snapshot_based_resize_at_dest'),
        (S.FINISHED,       S.CONFIRMING,      'T: compute/api.py:4145 API.confirm_resize'),
        (S.CONFIRMING,     S.CONFIRMED,       'T: conductor/tasks/cross_cell_migrate.py:994 ConfirmResizeTask._finish_confirm_in_target_cell'),
        (S.FINISHED,       S.CONFIRMED,       'T: conductor/tasks/cross_cell_migrate.py:994 ConfirmResizeTask._finish_confirm_in_target_cell (server deleted, compute/api.py:2680-2682)'),
        (S.FINISHED,       S.REVERTING,       'T: compute/api.py:4073 API.revert_resize'),
        (S.FINISHED,       S.ERROR,           'T: conductor/tasks/cross_cell_migrate.py:1069 ConfirmResizeTask.rollback; T: compute/manager.py:10573 _poll_unconfirmed_resizes; T: ' + _ERRORS_OUT + 'finish_snapshot_based_resize_at_dest (:6728) after :6809'),
        (S.CONFIRMING,     S.ERROR,           'T: conductor/tasks/cross_cell_migrate.py:1069 ConfirmResizeTask.rollback'),
    ),
    late=(
        (S.CONFIRMED,      S.ERROR,           'S: ' + _ERRORS_OUT + 'confirm_snapshot_based_resize_at_source (:5150), same object, its finally deletes allocations after confirmed (:5249); T: conductor/tasks/cross_cell_migrate.py:1069 ConfirmResizeTask.rollback, same object, after :994 wrote confirmed'),
        (S.REVERTED,       S.ERROR,           'T: ' + _ERRORS_OUT + 'revert_snapshot_based_resize_at_dest (:5337), same object, after :5433 wrote reverted; S: ' + _ERRORS_OUT + 'finish_revert_snapshot_based_resize_at_source (:5450), same object, after :5602 wrote reverted'),
        (S.ERROR,          S.FAILED,          _ORPHAN_CLEANUP),
    ),
    races=(
        # PERSISTED        TO                 WHERE (Nova 34.0.0, nova/...)                                                   RACE
        (S.MIGRATING,      S.ERROR,           'S: conductor/tasks/migrate.py:397 MigrationTask.rollback (the conductor saw pre-migrating)', CONDUCTOR_ROLLBACK + ': prep_snapshot_based_resize_at_source (cross_cell_migrate.py:447) wrote migrating at compute/manager.py:6261'),
        (S.POST_MIGRATING, S.ERROR,           'S: conductor/tasks/migrate.py:397 MigrationTask.rollback (the conductor saw pre-migrating)', CONDUCTOR_ROLLBACK + ': prep_snapshot_based_resize_at_source (cross_cell_migrate.py:447) wrote post-migrating at compute/manager.py:6311'),
        (S.REVERTED,       S.ERROR,           'S: conductor/tasks/cross_cell_migrate.py:1462 RevertResizeTask.rollback (the conductor saw reverting, :1292)', CONDUCTOR_ROLLBACK + ': finish_revert_snapshot_based_resize_at_source (cross_cell_migrate.py:1417) wrote reverted at compute/manager.py:5602'),
    ),
    # T waits in finished (compute/api.py:4135, :4011 look it up there); S
    # waits in post-migrating until the confirm (compute/manager.py:5249)
    # or the revert (cross_cell_migrate.py:1288-1292) moves it.
    waiting=(S.FINISHED, S.POST_MIGRATING),
)

LIVE_MIGRATION = MachineDefinition(
    migration_types=(T.LIVE_MIGRATION,),
    cross_cell_move=False,
    ended=(S.COMPLETED, S.FAILED, S.CANCELLED, S.ERROR),
    summary='Live migration.',
    edges=(
        # FROM                 TO                     WHERE (Nova 34.0.0, nova/...)
        (CREATE,               S.ACCEPTED,            'conductor/manager.py:518 ComputeTaskManager._live_migrate'),
        (S.ACCEPTED,           S.QUEUED,              'compute/manager.py:9481 ComputeManager.live_migration (source)'),
        (S.ACCEPTED,           S.ERROR,               'conductor/manager.py:550, :561 ComputeTaskManager._live_migrate; ' + _ERRORS_OUT + 'live_migration (:9466) if the queued save fails'),
        (S.ACCEPTED,           S.FAILED,              'conductor/tasks/live_migrate.py:609 LiveMigrationTask._check_not_over_max_retries'),
        (S.QUEUED,             S.PREPARING,           'compute/manager.py:9401 ComputeManager._do_live_migration'),
        (S.QUEUED,             S.CANCELLED,           'compute/manager.py:9609 live_migration_abort; compute/manager.py:1795 _cleanup_live_migrations_in_pool'),
        (S.QUEUED,             S.ERROR,               _ERRORS_OUT + 'live_migration (:9466)'),
        (S.PREPARING,          S.RUNNING,             'compute/manager.py:9433 ComputeManager._do_live_migration'),
        (S.PREPARING,          S.CANCELLED,           'compute/manager.py:10272 _rollback_live_migration, abort while preparing (:9427-9428)'),
        (S.PREPARING,          S.ERROR,               'compute/manager.py:9275 ComputeManager._cleanup_pre_live_migration; compute/manager.py:124 errors_out_migration_ctxt in _rollback_live_migration (:10213)'),
        (S.RUNNING,            S.RUNNING_POST_COPY,   'virt/libvirt/migration.py:788 trigger_postcopy_switch'),
        (S.RUNNING,            S.COMPLETED,           'compute/manager.py:9917 ComputeManager._post_live_migration'),
        (S.RUNNING,            S.FAILED,              'compute/manager.py:10272 _rollback_live_migration (driver recover: virt/libvirt/driver.py:11863)'),
        (S.RUNNING,            S.CANCELLED,           'compute/manager.py:10272 _rollback_live_migration (virt/libvirt/driver.py:11871-11872 job cancelled)'),
        (S.RUNNING,            S.ERROR,               'compute/manager.py:9457 _do_live_migration; compute/manager.py:1006 _reset_live_migration; compute/manager.py:124 errors_out_migration_ctxt in _rollback_live_migration (:10213)'),
        (S.RUNNING_POST_COPY,  S.COMPLETED,           'compute/manager.py:9917 ComputeManager._post_live_migration'),
        (S.RUNNING_POST_COPY,  S.FAILED,              'compute/manager.py:10272 _rollback_live_migration (libvirt job failed after the switch)'),
        (S.RUNNING_POST_COPY,  S.ERROR,               'compute/manager.py:9457 ComputeManager._do_live_migration'),
    ),
    late=(
        (S.FAILED,             S.ERROR,               Where('conductor/manager.py:550 _live_migrate, same object, right after live_migrate.py:609 wrote failed (MaxRetriesExceeded); compute/manager.py:9457 _do_live_migration, same object, when the driver re-raises after its rollback wrote failed (virt/vmwareapi/vmops.py:1665-1666, virt/libvirt/driver.py:11942)', _LIBVIRT_NO_RERAISE_FAILED)),
        (S.ERROR,              S.FAILED,              'compute/manager.py:10272 _rollback_live_migration, same object, after :9275 wrote error; ' + _ORPHAN_CLEANUP),
        (S.COMPLETED,          S.ERROR,               'compute/manager.py:9457 _do_live_migration, same object: _post_live_migration raised after :9917 wrote completed'),
        (S.CANCELLED,          S.ERROR,               Where('compute/manager.py:9457 _do_live_migration, same object: virt/libvirt/driver.py:11942 future.result() re-raises after the rollback wrote cancelled (:11871)', _LIBVIRT_NO_RERAISE_CANCELLED)),
    ),
)

EVACUATION = MachineDefinition(
    migration_types=(T.EVACUATION,),
    cross_cell_move=False,
    ended=(S.COMPLETED, S.FAILED, S.ERROR),
    summary='Evacuation (rebuild on another host).',
    edges=(
        # FROM             TO                 WHERE (Nova 34.0.0, nova/...)
        (CREATE,           S.ACCEPTED,        'compute/api.py:5754 API.evacuate'),
        (CREATE,           S.PRE_MIGRATING,   'compute/resource_tracker.py:426 ResourceTracker._create_migration (legacy: rebuild_claim without a record, conductor/manager.py:1252-1258)'),
        (S.ACCEPTED,       S.PRE_MIGRATING,   'compute/resource_tracker.py:454 _claim_existing_migration via compute/resource_tracker.py:334 _move_claim of rebuild_claim (compute/manager.py:4088)'),
        (S.ACCEPTED,       S.ERROR,           'conductor/manager.py:1280, :1297, :1374 ComputeTaskManager.rebuild_instance; ' + _RT_STALE),
        (S.ACCEPTED,       S.FAILED,          'compute/manager.py:3986, :4031, :4054 ComputeManager.rebuild_instance'),
        (S.ACCEPTED,       S.COMPLETED,       'compute/manager.py:931 _destroy_evacuated_instances (source compute restarts; rows read fresh at :855)'),
        (S.PRE_MIGRATING,  S.DONE,            'compute/resource_tracker.py:2167 ResourceTracker.finish_evacuation'),
        (S.PRE_MIGRATING,  S.FAILED,          'compute/manager.py:4031, :4051, :4054 ComputeManager.rebuild_instance'),
        (S.PRE_MIGRATING,  S.ERROR,           _RT_STALE),
        (S.PRE_MIGRATING,  S.COMPLETED,       'compute/manager.py:931 _destroy_evacuated_instances (source compute restarts; rows read fresh at :855)'),
        (S.DONE,           S.COMPLETED,       'compute/manager.py:931 _destroy_evacuated_instances (source compute restarts; rows read fresh at :855)'),
    ),
    late=(
        (S.ERROR,          S.FAILED,          _ORPHAN_CLEANUP),
    ),
    # done: rebuilt on the destination (resource_tracker.py:2147-2167
    # finish_evacuation moved the instance there); the source compute
    # cleans up when it starts (manager.py:838-931).
    landed=(S.DONE,),
    races=(
        # PERSISTED        TO                 WHERE (Nova 34.0.0, nova/...)                                                                           RACE
        (S.COMPLETED,      S.DONE,            'compute/resource_tracker.py:2167 finish_evacuation (the destination saw pre-migrating)', SOURCE_COMPUTE_RESTART + '; bug 1764883'),
        (S.COMPLETED,      S.PRE_MIGRATING,   'compute/resource_tracker.py:454 _claim_existing_migration via compute/resource_tracker.py:334 _move_claim of rebuild_claim (compute/manager.py:4088) (the destination saw accepted)', SOURCE_COMPUTE_RESTART + ', after the conductor found the accepted record (conductor/manager.py:1253)'),
        (S.COMPLETED,      S.FAILED,          'compute/manager.py:4031, :4051, :4054 ComputeManager.rebuild_instance (the destination saw accepted or pre-migrating)', SOURCE_COMPUTE_RESTART),
        (S.COMPLETED,      S.ERROR,           'conductor/manager.py:1280, :1297, :1374 ComputeTaskManager.rebuild_instance (the conductor saw accepted at :1253)', SOURCE_COMPUTE_RESTART),
    ),
)

DEFINITIONS = (COLD_SAME_CELL, COLD_CROSS_CELL, LIVE_MIGRATION, EVACUATION)
"""Every machine; a (type, cross_cell_move) pair appears in at most one."""
