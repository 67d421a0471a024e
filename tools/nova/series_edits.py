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

"""The edits of the Nova series that are made by pattern, not by patch.

Each edit runs on a Nova tree whose status literals are already rewritten
(``make-series.py`` rewrites first), so the layout the codemod chose does
not matter; an edit whose pattern matches nothing raises ``NoMatch``. Each
is listed in ``EDITS`` with the commit it belongs to and the files it
touches (``make-series.py`` restores those before rebuilding a commit).

- ``post_copy`` (commit 4): the shared in-progress list of live
  migrations, with ``running (post-copy)``, and its functional test;
- ``derived_sets`` (commit 5): Nova's other hand-typed status lists, as
  sets derived from the machines;
- ``docs_page`` (commit 6): ``doc/source/reference/migration-states.rst``,
  the machines' diagrams (generated, like ``vm-states.rst``);
- ``hacking_check`` (commit 7): N376, no migration status literal.
"""

import os
import re
import shutil
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
SERIES = os.path.join(HERE, 'series')
HACKING_NUMBER = 'N376'  # Nova 34.0.0's checks end at N375

IN_PROGRESS = r'''

    # Sets derived from nova_migration_sm.machines; none is typed here.

    #: Live migration statuses that are not over: what the API lists as
    #: in-progress live migrations (GET /servers/{id}/migrations, its show,
    #: and the links of GET /os-migrations).
    LIVE_MIGRATION_IN_PROGRESS = migration_machines.in_progress_statuses(
        MigrationType.LIVE_MIGRATION)
'''

DERIVED = r'''
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

CHECK_RE = '''
# N376: a migration's status compared with, or set to, one of the values
# of fields.MigrationStatus (nova_migration_sm's statuses) spelled by hand.
_migration_status_values = '|'.join(
    re.escape(status) for status in migration_statuses.MigrationStatus.ALL)
migration_status_literal_re = re.compile(
    r"""(\\b\\w*mig\\w*(\\.status|\\[['"]status['"]\\])\\s*(==|!=|=)\\s*"""
    r"""|\\b(Migration|migration_\\w+)\\(.*"""
    r"""(\\bstatus\\s*=\\s*|['"]status['"]\\s*:\\s*))"""
    r"""['"](%s)['"]""" % _migration_status_values)
'''

CHECK = '''

@core.flake8ext
def check_migration_status_literal(physical_line, filename):
    """Check for a migration status spelled as a string literal.

    Use the constants of nova.objects.fields.MigrationStatus, whose values
    and moves come from nova_migration_sm's state machines.

    N376
    """
    msg = ("N376: Use nova.objects.fields.MigrationStatus constants, not a "
           "migration status literal.")

    if filename.endswith('nova/tests/unit/test_hacking.py'):
        return

    match = re.search(migration_status_literal_re, physical_line)

    if match:
        return match.start(), msg
'''

CHECK_TEST = '''
    def test_check_migration_status_literal(self):
        code = """
               migration.status = 'running (post-copy)'
               if mig.status == "confirmed":
                   pass
               self.migration['status'] = 'error'
               objects.Migration(status='accepted', migration_type='x')
               db.migration_update(ctxt, 1, {'status': 'queued'})
               """
        errors = [(1, 0, 'N376'), (2, 3, 'N376'), (4, 5, 'N376'),
                  (5, 8, 'N376'), (6, 3, 'N376')]
        self._assert_has_errors(
            code, checks.check_migration_status_literal,
            expected_errors=errors)

        code = """
               migration.status = fields.MigrationStatus.RUNNING
               instance.vm_state = 'error'
               volume['status'] == 'in-use'
               migration.status = 'refused by nobody'
               mock.Mock(status='completed')
               volume_info = {'status': 'error'}
               """
        self._assert_has_no_errors(
            code, checks.check_migration_status_literal)
'''


class NoMatch(Exception):
    """A pattern of an edit matched nothing (one line)."""


def edit(tree: str, rel: str, subs: list[tuple[str, str]]) -> None:
    """Apply each (pattern, replacement) once to one file."""
    path = os.path.join(tree, rel)
    with open(path) as stream:
        text = stream.read()
    for pattern, replacement in subs:
        text, count = re.subn(pattern, replacement, text, count=1,
                              flags=re.S)
        if count != 1:
            raise NoMatch('no match in %s: %s' % (rel, pattern[:70]))
    with open(path, 'w') as stream:
        stream.write(text)


POST_COPY_TEST = 'nova/tests/functional/compute/' \
    'test_live_migration_post_copy.py'


def post_copy(tree: str) -> None:
    """The in-progress list shared and derived: post-copy is listed."""
    edit(tree, 'nova/objects/fields.py', [
     (r'from nova_migration_sm import statuses as migration_statuses\n',
      'from nova_migration_sm import machines as migration_machines\n'
      'from nova_migration_sm import statuses as migration_statuses\n'),
     (r'(class MigrationStatus\(BaseNovaEnum, '
      r'migration_statuses.MigrationStatus\):\n    """.*?""")\n',
      lambda match: match.group(1) + IN_PROGRESS),
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
    shutil.copy(os.path.join(SERIES, 'test_live_migration_post_copy.py'),
                os.path.join(tree, POST_COPY_TEST))


def derived_sets(tree: str) -> None:
    """Nova's other hand-typed status lists become derived sets."""
    edit(tree, 'nova/objects/fields.py', [
     (r'(    LIVE_MIGRATION_IN_PROGRESS = migration_machines\.'
      r'in_progress_statuses\(\n        MigrationType\.LIVE_MIGRATION\)\n)',
      lambda match: match.group(1) + DERIVED),
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
     (r'if migration\.status not in \((\w+)\.MigrationStatus\.FINISHED,\s*'
      r'\1\.MigrationStatus\.CONFIRMING\):',
      r'if (migration.status not in\n'
      r'                    \1.MigrationStatus.RESIZE_CONFIRMABLE):'),
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


DOCS_PAGE = 'doc/source/reference/migration-states.rst'

DOCS_INTRO = '''\
..
   Generated by nova_migration_sm's tools/nova/make-series.py from
   nova_migration_sm.machines; regenerate it, do not edit it.

==================================
Migration States and Transitions
==================================

A migration record (``nova.objects.Migration``) moves through the statuses
of ``nova.objects.fields.MigrationStatus``. Which moves are allowed depends
on the migration type: each type has a state machine, defined in the
nova_migration_sm library, and ``Migration.create()`` and
``Migration.save()`` check every status write against it
(``[migration_state_machine] enforcement``: ``warn`` logs a move the
machine refuses, ``strict`` refuses it, ``off`` does not check).

The diagrams below are drawn from those machines. Each edge is labelled
with the Nova function that makes the move; a dotted edge from the start
point is the status a migration is created in, a double border an ended
migration, red an error status. Dashed grey edges are races: moves only
a writer with a stale view of the row makes, which the compare-and-swap
of ``db.migration_update`` turns into a conflict.

``nova-status upgrade check`` ("Migration statuses") audits the
migrations of every cell against these machines before ``strict`` is
enabled.
'''


def docs_page(tree: str) -> None:
    """The reference page of the machines, drawn from their definitions."""
    from nova_migration_sm import diagrams

    parts = [DOCS_INTRO]
    for machine in diagrams.all_machines():
        title = machine.title
        dot = diagrams.to_dot(machine).strip()
        parts.append('\n%s\n%s\n\n%s\n\n.. graphviz::\n\n%s\n' % (
            title, '-' * len(title),
            textwrap.fill(machine.summary, 79),
            textwrap.indent(dot, '   ')))
    with open(os.path.join(tree, DOCS_PAGE), 'w') as stream:
        stream.write(''.join(parts))
    edit(tree, 'doc/source/reference/index.rst', [
     (r'(\* :doc:`/reference/vm-states`: .*?\n)(\* )',
      r'\1* :doc:`/reference/migration-states`: The statuses of a '
      r'migration\n  record and the moves each migration type allows\n\2'),
     (r'(\n   vm-states\n)', r'\1   migration-states\n'),
    ])


def hacking_check(tree: str) -> None:
    """N376 in Nova's hacking checks, its test and its registration."""
    edit(tree, 'nova/hacking/checks.py', [
     (r'(\nfrom hacking import core\n)',
      r'\1from nova_migration_sm import statuses as migration_statuses\n'),
     (r'(\nthreading_event_mock_re = re\.compile\(.*?\)\n)',
      lambda match: match.group(1) + CHECK_RE),
     (r'\Z', CHECK.replace('\\', '\\\\')),
    ])
    edit(tree, 'nova/tests/unit/test_hacking.py', [
     (r'\Z', CHECK_TEST.replace('\\', '\\\\')),
    ])
    edit(tree, 'tox.ini', [
     (r'(\n  N375 = checks:check_threading_event_mock\n)',
      r'\1  N376 = checks:check_migration_status_literal\n'),
    ])


#: (commit number, edit, files it changes or creates), in commit order.
EDITS = (
    (4, post_copy, ('nova/objects/fields.py', 'nova/db/main/api.py',
                    'nova/api/openstack/compute/server_migrations.py',
                    'nova/api/openstack/compute/migrations.py',
                    POST_COPY_TEST)),
    (5, derived_sets, ('nova/objects/fields.py', 'nova/db/main/api.py',
                       'nova/compute/manager.py', 'nova/compute/api.py')),
    (6, docs_page, (DOCS_PAGE, 'doc/source/reference/index.rst')),
    (7, hacking_check, ('nova/hacking/checks.py',
                        'nova/tests/unit/test_hacking.py', 'tox.ini')),
)
