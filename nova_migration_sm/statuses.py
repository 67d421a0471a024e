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

"""Every migration status and migration type Nova 34.0.0 writes.

This module is constants only, in the style of Ironic's
``ironic/common/states.py``: each status is spelled once, here, with a
docstring saying what it means for each migration type. No other module of
the library spells a status string; the machines that say which moves are
allowed live in :mod:`nova_migration_sm.definitions`.
"""


class MigrationType:
    """The four values of Nova's ``Migration.migration_type``."""

    MIGRATION = 'migration'
    """Cold migration: same flavor, new host (``nova migrate``)."""

    RESIZE = 'resize'
    """Resize: new flavor, same or new host; shares cold migration's path."""

    LIVE_MIGRATION = 'live-migration'
    """Live migration: the guest keeps running while it moves."""

    EVACUATION = 'evacuation'
    """Evacuation: rebuild on a new host because the source host is down."""

    ALL = (MIGRATION, RESIZE, LIVE_MIGRATION, EVACUATION)


class MigrationStatus:
    """The 18 values Nova 34.0.0 writes to ``Migration.status``.

    Spelled exactly as Nova spells them; the API exposes them, so they can
    never be renamed. ``ALL`` is the order of the enum field's valid values
    and is part of the object fingerprint: append, never reorder.
    """

    ACCEPTED = 'accepted'
    """Created by the API or conductor, no compute has acted yet.

    live-migration and evacuation: the initial status. Not used by cold
    migration or resize, which start at ``pre-migrating``.
    """

    PRE_MIGRATING = 'pre-migrating'
    """Scheduled; the destination is claiming resources.

    migration/resize: the initial status (conductor), re-written by the
    destination claim. evacuation: the destination has claimed resources.
    live-migration: never used.
    """

    MIGRATING = 'migrating'
    """migration/resize: the source host is transferring the disks."""

    POST_MIGRATING = 'post-migrating'
    """migration/resize: the source host finished its part.

    A cross-cell source row stays here while the server waits in
    VERIFY_RESIZE. Listed by Nova as in progress for live migrations, but
    never written for them.
    """

    FINISHED = 'finished'
    """migration/resize: the guest runs on the destination (VERIFY_RESIZE).

    Not an end: waits for confirm or revert (or the auto-confirm periodic).
    """

    CONFIRMING = 'confirming'
    """migration/resize: the API accepted a confirm; the source cleans up."""

    CONFIRMED = 'confirmed'
    """migration/resize: confirmed; the source copy is gone. An end."""

    REVERTING = 'reverting'
    """migration/resize: the API accepted a revert."""

    REVERTED = 'reverted'
    """migration/resize: reverted. Written on the destination before the
    source has finished re-spawning the guest. An end."""

    ERROR = 'error'
    """Something failed and nothing cleaned up after it.

    migration/resize: every failure. live-migration: not rolled back, or
    unknown (driver exception, compute restart, pre-checks). evacuation:
    scheduling/conductor failure or a stale record. An end, except that the
    orphan cleanup periodic may turn it into ``failed``.
    """

    FAILED = 'failed'
    """A failure that was cleaned up.

    live-migration: cleanly rolled back. evacuation: the rebuild or claim
    failed on the destination. migration/resize: only reached from
    ``error`` by the orphan cleanup periodic. An end.
    """

    DONE = 'done'
    """evacuation: rebuilt on the destination; the source host has not
    cleaned up yet (it does when its compute service starts again)."""

    COMPLETED = 'completed'
    """live-migration: the guest runs on the destination. evacuation: the
    source host cleaned up after the evacuation. An end."""

    QUEUED = 'queued'
    """live-migration: accepted by the source compute, waiting for a slot."""

    PREPARING = 'preparing'
    """live-migration: pre-live-migration runs on the destination."""

    RUNNING = 'running'
    """live-migration: the hypervisor job is copying memory."""

    RUNNING_POST_COPY = 'running (post-copy)'
    """live-migration: switched to post-copy; the guest already runs on the
    destination and pages in memory from the source."""

    CANCELLED = 'cancelled'
    """live-migration: aborted by an admin or a graceful shutdown. An end."""

    ALL = (ACCEPTED, PRE_MIGRATING, MIGRATING, POST_MIGRATING, FINISHED,
           CONFIRMING, CONFIRMED, REVERTING, REVERTED, ERROR, FAILED, DONE,
           COMPLETED, QUEUED, PREPARING, RUNNING, RUNNING_POST_COPY,
           CANCELLED)
