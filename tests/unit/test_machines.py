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

"""Every (type, from, to) of every machine, checked exhaustively.

The expected edges below are transcribed independently from the Nova
34.0.0 study (section 9) and Nova's code, in plain strings, so a typo in
``definitions.py`` cannot hide behind the tables derived from it.
"""

import itertools

from automaton import exceptions as automaton_exc
import testtools

from nova_migration_sm import definitions
from nova_migration_sm import exceptions
from nova_migration_sm import machines
from nova_migration_sm import statuses


def _pairs(text):
    return frozenset(tuple(s.strip() for s in line.split('->'))
                     for line in text.strip().splitlines())


COLD_SAME_CELL = _pairs("""
pre-migrating -> migrating
migrating -> post-migrating
post-migrating -> finished
finished -> confirming
confirming -> confirmed
finished -> confirmed
finished -> reverting
reverting -> reverted
pre-migrating -> error
migrating -> error
post-migrating -> error
finished -> error
confirming -> error
confirmed -> error
reverting -> error
reverted -> error
error -> failed
""")

COLD_CROSS_CELL = _pairs("""
pre-migrating -> migrating
migrating -> post-migrating
post-migrating -> confirmed
post-migrating -> reverting
reverting -> reverted
pre-migrating -> error
migrating -> error
post-migrating -> error
confirmed -> error
reverting -> error
pre-migrating -> finished
finished -> confirming
confirming -> confirmed
finished -> confirmed
finished -> reverting
finished -> error
confirming -> error
reverted -> error
error -> failed
""")

LIVE = _pairs("""
accepted -> queued
accepted -> error
accepted -> failed
failed -> error
queued -> preparing
queued -> cancelled
queued -> error
preparing -> running
preparing -> cancelled
preparing -> error
error -> failed
running -> running (post-copy)
running -> completed
running -> failed
running -> cancelled
running -> error
running (post-copy) -> completed
running (post-copy) -> failed
running (post-copy) -> error
completed -> error
cancelled -> error
""")

EVACUATION = _pairs("""
accepted -> pre-migrating
accepted -> error
accepted -> failed
accepted -> completed
pre-migrating -> done
pre-migrating -> failed
pre-migrating -> error
pre-migrating -> completed
done -> completed
completed -> done
completed -> pre-migrating
completed -> failed
completed -> error
error -> failed
""")

EXPECTED = {
    ('migration', False): (COLD_SAME_CELL, {'pre-migrating'}),
    ('resize', False): (COLD_SAME_CELL, {'pre-migrating'}),
    ('migration', True): (COLD_CROSS_CELL, {'pre-migrating'}),
    ('resize', True): (COLD_CROSS_CELL, {'pre-migrating'}),
    ('live-migration', False): (LIVE, {'accepted'}),
    ('live-migration', True): (LIVE, {'accepted'}),
    ('evacuation', False): (EVACUATION, {'accepted', 'pre-migrating'}),
    ('evacuation', True): (EVACUATION, {'accepted', 'pre-migrating'}),
}


class TestExhaustive(testtools.TestCase):
    """is_allowed() for every type, cross-cell flag, from and to."""

    def test_every_pair_of_every_type(self):
        checked = 0
        for (migration_type, cross_cell), (edges, initial) in \
                EXPECTED.items():
            states = {s for edge in edges for s in edge}
            for old, new in itertools.product(
                    (None,) + statuses.MigrationStatus.ALL,
                    statuses.MigrationStatus.ALL):
                if old is None:
                    expected = new in initial
                else:
                    expected = (old, new) in edges or (
                        old == new and old in states)
                self.assertEqual(
                    expected,
                    machines.is_allowed(migration_type, old, new,
                                        cross_cell),
                    '%s cross_cell=%s %r -> %r' % (
                        migration_type, cross_cell, old, new))
                checked += 1
        self.assertEqual(8 * 19 * 18, checked)

    def test_automaton_machine_agrees(self):
        for (migration_type, cross_cell), (edges, _) in EXPECTED.items():
            machine = machines.get_machine(migration_type, cross_cell)
            self.assertEqual(edges, {(src, dst) for src, event, dst
                                     in machine})
            for src, event, dst in machine:
                self.assertEqual(event, dst)

    def test_edge_counts(self):
        self.assertEqual(
            {'migration': 17, 'resize': 17, 'migration+cc': 19,
             'resize+cc': 19, 'live-migration': 21, 'evacuation': 14},
            {t + ('+cc' if cc else ''): len(list(machines.get_machine(t, cc)))
             for t, cc in machines.machine_keys()})

    def test_unknown_status_is_refused(self):
        self.assertFalse(machines.is_allowed('resize', 'finish', 'error'))
        self.assertFalse(machines.is_allowed('resize', 'finished',
                                             'Completed'))

    def test_unknown_type_raises(self):
        error = self.assertRaises(exceptions.UnknownMigrationType,
                                  machines.is_allowed, 'teleport',
                                  'accepted', 'queued')
        self.assertIsInstance(error, ValueError)
        self.assertIn("'teleport'", str(error))
        self.assertIn("'live-migration'", str(error))


class TestMachines(testtools.TestCase):

    def test_machines_are_frozen_and_shared(self):
        machine = machines.get_machine('resize')
        self.assertIs(machine, machines.get_machine('migration'))
        self.assertRaises(automaton_exc.FrozenMachine, machine.add_state,
                          'teleported')

    def test_drive_a_copy(self):
        machine = machines.get_machine('live-migration').copy(shallow=True)
        machine.initialize('running')
        machine.process_event('running (post-copy)')
        machine.process_event('completed')
        self.assertEqual('completed', machine.current_state)
        self.assertRaises(automaton_exc.NotFound, machine.process_event,
                          'queued')

    def test_live_migration_has_no_cross_cell_variant(self):
        self.assertIs(machines.get_machine('live-migration'),
                      machines.get_machine('live-migration', True))

    def test_every_status_is_used_and_none_invented(self):
        used = {s for key in machines.machine_keys()
                for s in machines.statuses(*key)}
        self.assertEqual(set(statuses.MigrationStatus.ALL), used)

    def test_default_start_state_is_first_initial(self):
        for key in machines.machine_keys():
            self.assertEqual(machines.initial_statuses(*key)[0],
                             machines.get_machine(*key).default_start_state)

    def test_sink_states_are_automaton_terminal(self):
        machine = machines.get_machine('resize')
        machine = machine.copy(shallow=True)
        self.assertRaises(automaton_exc.InvalidState, machine.initialize,
                          'failed')
        machine.initialize('confirmed')
        self.assertTrue(machine.is_actionable_event('error'))


class TestDerivedSets(testtools.TestCase):

    def test_next_statuses(self):
        self.assertEqual(('confirming', 'confirmed', 'reverting', 'error'),
                         machines.next_statuses('resize', 'finished'))
        self.assertEqual(('confirmed', 'reverting', 'error'),
                         machines.next_statuses('resize', 'post-migrating',
                                                cross_cell_move=True))
        self.assertEqual(('accepted',),
                         machines.next_statuses('live-migration', None))
        self.assertEqual(('error',), machines.next_statuses(
            'live-migration', 'cancelled'))
        self.assertEqual((), machines.next_statuses('live-migration',
                                                    'finished'))

    def test_initial_terminal_in_progress(self):
        self.assertEqual(('pre-migrating',),
                         machines.initial_statuses('migration'))
        self.assertEqual(('accepted', 'pre-migrating'),
                         machines.initial_statuses('evacuation'))
        self.assertEqual(('error', 'failed', 'completed', 'cancelled'),
                         machines.terminal_statuses('live-migration'))
        self.assertEqual(('accepted', 'queued', 'preparing', 'running',
                          'running (post-copy)'),
                         machines.in_progress_statuses('live-migration'))
        self.assertEqual(('pre-migrating', 'migrating', 'post-migrating',
                          'finished', 'confirming', 'reverting'),
                         machines.in_progress_statuses('resize'))
        self.assertEqual(('accepted', 'pre-migrating'),
                         machines.in_progress_statuses('evacuation'))

    def test_nova_in_progress_list_is_wrong_for_live_migration(self):
        # nova/db/main/api.py:3354-3356 lists these for live migrations.
        nova = {'queued', 'preparing', 'running', 'post-migrating'}
        ours = set(machines.in_progress_statuses('live-migration'))
        self.assertEqual({'post-migrating'}, nova - ours)
        self.assertEqual({'accepted', 'running (post-copy)'}, ours - nova)

    def test_where_cites_nova(self):
        self.assertIn('compute/manager.py:9917',
                      machines.where('live-migration', 'running',
                                     'completed'))
        self.assertIn('bug 1764883',
                      machines.where('evacuation', 'completed', 'done'))
        self.assertIsNone(machines.where('resize', 'confirmed', 'migrating'))


class TestDefinitions(testtools.TestCase):

    def test_every_edge_cites_a_nova_file_and_line(self):
        for definition in definitions.DEFINITIONS:
            for src, dst, where in definition.edges:
                self.assertRegex(where, r'[a-z_/]+\.py:\d+',
                                 '%s -> %s' % (src, dst))

    def test_no_duplicate_edges_and_no_self_loops(self):
        for definition in definitions.DEFINITIONS:
            pairs = [(src, dst) for src, dst, _ in definition.edges]
            self.assertEqual(len(pairs), len(set(pairs)))
            self.assertFalse([p for p in pairs if p[0] == p[1]])

    def test_terminal_statuses_are_states(self):
        for key in machines.machine_keys():
            self.assertLessEqual(set(machines.terminal_statuses(*key)),
                                 set(machines.statuses(*key)))

    def test_only_declared_statuses_are_spelled(self):
        for definition in definitions.DEFINITIONS:
            for src, dst, _ in definition.edges:
                self.assertIn(dst, statuses.MigrationStatus.ALL)
                self.assertIn(src, (None,) + statuses.MigrationStatus.ALL)

    def test_status_strings_fit_nova_column_and_are_unique(self):
        self.assertEqual(18, len(set(statuses.MigrationStatus.ALL)))
        for status in statuses.MigrationStatus.ALL:
            self.assertLessEqual(len(status), 255)
