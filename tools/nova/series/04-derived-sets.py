#!/usr/bin/env python3
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

"""Commit 4 of the series: hand-typed status lists become derived sets.

Usage: 04-derived-sets.py TREE   (a Nova tree at commit 3 of the series)

Edits by pattern, so the layout the rewrite chose does not matter; exits 1
naming the pattern that matched nothing. See 04-derived-sets.txt for what
changes and why, and test_live_migration_post_copy.py for the test.
"""

import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DERIVED = r'''

    # Sets derived from nova_migration_sm.machines; none is typed here.

    #: Live migration statuses that are not over: what the API lists as
    #: in-progress live migrations (GET /servers/{id}/migrations, its show,
    #: and the links of GET /os-migrations).
    LIVE_MIGRATION_IN_PROGRESS = migration_machines.in_progress_statuses(
        MigrationType.LIVE_MIGRATION)

    #: Live migration statuses with a move to cancelled: what a user may
    #: abort (from microversion 2.65; before it, only RUNNING).
    LIVE_MIGRATION_ABORTABLE = tuple(
        status for status in migration_machines.statuses(
            MigrationType.LIVE_MIGRATION)
        if migration_statuses.MigrationStatus.CANCELLED in
        migration_machines.next_statuses(
            MigrationType.LIVE_MIGRATION, status))

    #: Resize (and cold migration) statuses with a move to confirmed, in
    #: the order the machine takes them: what confirming a resize, or
    #: deleting a server in VERIFY_RESIZE, looks for.
    RESIZE_CONFIRMABLE = tuple(
        status for status in migration_machines.statuses(
            MigrationType.RESIZE)
        if migration_statuses.MigrationStatus.CONFIRMED in
        migration_machines.next_statuses(MigrationType.RESIZE, status))

    #: Statuses in which a migration of any type holds no resources on its
    #: hosts: its ends, and an evacuation that landed ("done", only the
    #: source compute's cleanup left). What the resource tracker, the
    #: compute service delete check and nova-manage skip.
    RELEASED = migration_machines.statuses_of_every_type(
        migration_machines.released_statuses)

    #: The same, keeping "error": the resource tracker keeps the claims of
    #: an errored migration until the cleanup periodic moves it to failed.
    RELEASED_EXCEPT_ERROR = tuple(
        status for status in RELEASED
        if status != migration_statuses.MigrationStatus.ERROR)

    #: Evacuation statuses that are not over: what a restarting source
    #: compute looks for, to clean up after the evacuation.
    EVACUATION_IN_PROGRESS = migration_machines.in_progress_statuses(
        MigrationType.EVACUATION)
'''


def edit(tree: str, rel: str, subs: list[tuple[str, str]]) -> None:
    """Apply each (pattern, replacement) once to one file."""
    path = os.path.join(tree, rel)
    with open(path) as stream:
        text = stream.read()
    for pattern, replacement in subs:
        text, count = re.subn(pattern, replacement, text, count=1,
                              flags=re.S)
        if count != 1:
            sys.exit('04-derived-sets: no match in %s: %s' % (
                rel, pattern[:70]))
    with open(path, 'w') as stream:
        stream.write(text)


def main(tree: str) -> None:
    edit(tree, 'nova/objects/fields.py', [
     (r'from nova_migration_sm import statuses as migration_statuses\n',
      'from nova_migration_sm import machines as migration_machines\n'
      'from nova_migration_sm import statuses as migration_statuses\n'),
     (r'(class MigrationStatus\(BaseNovaEnum, '
      r'migration_statuses.MigrationStatus\):\n    """.*?""")\n',
      r'\1' + DERIVED),
    ])
    edit(tree, 'nova/db/main/api.py', [
     (r'    # TODO\(Shaohe Feng\) we should share the in-progress list\.\n'
      r'    # TODO\(Shaohe Feng\) will also summarize all status to a new\n'
      r'    # MigrationStatus class\.\n',
      '    # NOTE: the live-migration statuses that are not over, whatever '
      'the\n'
      '    # type asked for: the only caller asks for live migrations.\n'),
     (r'filter\(models\.Migration\.status\.in_\(\[\s*'
      r'(\w+)\.MigrationStatus\.QUEUED,\s*\1\.MigrationStatus\.PREPARING,\s*'
      r'\1\.MigrationStatus\.RUNNING,\s*'
      r'\1\.MigrationStatus\.POST_MIGRATING\]\)\)',
      r'filter(models.Migration.status.in_(\n'
      r'                \1.MigrationStatus.LIVE_MIGRATION_IN_PROGRESS))'),
    ])
    edit(tree, 'nova/db/main/api.py', [
     (r'~models\.Migration\.status\.in_\(\s*\[\s*'
      r'(\w+)\.MigrationStatus\.CONFIRMED,\s*\1\.MigrationStatus\.REVERTED,\s*'
      r'\1\.MigrationStatus\.ERROR,\s*\1\.MigrationStatus\.FAILED,\s*'
      r'\1\.MigrationStatus\.COMPLETED,\s*\1\.MigrationStatus\.CANCELLED,\s*'
      r'\1\.MigrationStatus\.DONE,?\s*\]\s*\)',
      r'~models.Migration.status.in_(\1.MigrationStatus.RELEASED)'),
     (r'~models\.Migration\.status\.in_\(\s*\[\s*'
      r'(\w+)\.MigrationStatus\.CONFIRMED,\s*\1\.MigrationStatus\.REVERTED,\s*'
      r'\1\.MigrationStatus\.FAILED,\s*'
      r'\1\.MigrationStatus\.COMPLETED,\s*\1\.MigrationStatus\.CANCELLED,\s*'
      r'\1\.MigrationStatus\.DONE,?\s*\]\s*\)',
      r'~models.Migration.status.in_(\n'
      r'            \1.MigrationStatus.RELEASED_EXCEPT_ERROR)'),
    ])
    edit(tree, 'nova/compute/manager.py', [
     (r"'status': \[(\w+)\.MigrationStatus\.ACCEPTED,\s*"
      r"\1\.MigrationStatus\.PRE_MIGRATING,\s*"
      r"\1\.MigrationStatus\.DONE\],",
      r"'status': \1.MigrationStatus.EVACUATION_IN_PROGRESS,"),
    ])
    edit(tree, 'nova/api/openstack/compute/server_migrations.py', [
     (r'        # TODO\(Shaohe Feng\) we should share the in-progress '
      r'list\.\n        in_progress = \[.*?\]\n',
      '        in_progress = '
      'fields.MigrationStatus.LIVE_MIGRATION_IN_PROGRESS\n'),
    ])
    edit(tree, 'nova/api/openstack/compute/migrations.py', [
     (r'        # TODO\(Shaohe Feng\) we should share the in-progress '
      r'list\.\n        live_migration_in_progress = \[.*?\]\n',
      '        live_migration_in_progress = (\n'
      '            fields.MigrationStatus.LIVE_MIGRATION_IN_PROGRESS)\n'),
    ])
    edit(tree, 'nova/compute/api.py', [
     (r'        allowed_states = \[(\w+)\.MigrationStatus\.RUNNING\]\n'
      r'        queued_states = \[.*?\]\n',
      r'        allowed_states = [\1.MigrationStatus.RUNNING]\n'),
     (r'            allowed_states\.extend\(queued_states\)\n',
      '            allowed_states = (\n'
      '                fields_obj.MigrationStatus.'
      'LIVE_MIGRATION_ABORTABLE)\n'),
     (r'for status in \((\w+)\.MigrationStatus\.FINISHED,\s*'
      r'\1\.MigrationStatus\.CONFIRMING\):',
      r'for status in \1.MigrationStatus.RESIZE_CONFIRMABLE:'),
    ])
    edit(tree, 'nova/compute/manager.py', [
     (r'if migration\.status not in \((\w+)\.MigrationStatus\.FINISHED,\s*'
      r'\1\.MigrationStatus\.CONFIRMING\):',
      r'if (migration.status not in\n'
      r'                    \1.MigrationStatus.RESIZE_CONFIRMABLE):'),
    ])
    shutil.copy(
        os.path.join(HERE, 'test_live_migration_post_copy.py'),
        os.path.join(tree, 'nova', 'tests', 'functional', 'compute',
                     'test_live_migration_post_copy.py'))


if __name__ == '__main__':
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit(__doc__)
    main(sys.argv[1])
