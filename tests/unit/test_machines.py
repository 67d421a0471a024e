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

The expected edges and the save rule come from ``tests/transcription.py``,
transcribed independently from the Nova 34.0.0 study and Nova's code, so
a typo in ``definitions.py`` cannot hide behind the tables derived from it.
"""

import copy
import dataclasses
import itertools
import operator
import pickle

from automaton import exceptions as automaton_exc
import testtools

from nova_migration_sm import definitions
from nova_migration_sm import exceptions
from nova_migration_sm import machines
from nova_migration_sm import statuses
from tests import transcription as transcribed

EXPECTED = transcribed.EXPECTED
ALL = transcribed.ALL


class TestExhaustive(testtools.TestCase):
    """is_allowed() and judge() for every type, flag, from and to."""

    def test_every_pair_of_every_type(self):
        checked = 0
        for (migration_type, cross_cell), (edges, _, initial, _) in \
                EXPECTED.items():
            states = {s for edge in edges for s in edge}
            for old, new in itertools.product((None,) + ALL, ALL):
                if old is None:
                    expected = new in initial
                else:
                    expected = (old, new) in edges or (
                        old == new and old in states)
                self.assertEqual(
                    expected,
                    machines.is_allowed(
                        migration_type,
                        machines.CREATE if old is None else old, new,
                        cross_cell),
                    '%s cross_cell=%s %r -> %r' % (
                        migration_type, cross_cell, old, new))
                checked += 1
        self.assertEqual(8 * 19 * 18, checked)

    def _compare(self, oracle, ask, cases) -> int:
        """Ask the code and the oracle every case of every machine."""
        checked = 0
        for key in EXPECTED:
            for seen, persisted, to, detect in cases:
                expected = oracle(key, seen, persisted, to, detect)
                try:
                    got = ask(key, seen, persisted, to, detect)
                except (exceptions.InvalidMigrationStatusTransition,
                        exceptions.MigrationStatusConflict,
                        ValueError) as error:
                    got = type(error)
                self.assertEqual(expected, got, '%s seen=%r persisted=%r '
                                 'to=%r detect=%s' % (key, seen, persisted,
                                                      to, detect))
                checked += 1
        return checked

    def test_every_judgement(self):
        def ask(key, seen, persisted, to, detect):
            # NOTE: the transcription spells a creation None.
            return machines.judge(
                key[0], cross_cell_move=key[1],
                seen=machines.CREATE if seen is None else seen,
                persisted=machines.CREATE if persisted is None else persisted,
                to_status=to, detect_stale_writes=detect)

        cases = list(itertools.product((None, transcribed.UNKNOWN) + ALL,
                                       (None,) + ALL, ALL, (False, True)))
        self.assertEqual(8 * 20 * 19 * 18 * 2, self._compare(
            transcribed.expected_judgement, ask, cases))

    def test_every_write_condition(self):
        """The save rule, for every seen, persisted and target.

        ``seen`` and ``persisted`` range over every status, NULL, a
        legacy spelling and the unknown status; the target over every
        status and a legacy spelling.
        """
        def ask(key, seen, persisted, to, detect):
            outcome, statuses = machines.write_condition(
                key[0], cross_cell_move=key[1], seen=seen,
                persisted=persisted, target=to, detect_stale_writes=detect)
            return outcome, set(statuses)

        legacy = 'finshed'
        every = (None, transcribed.UNKNOWN, legacy) + ALL
        cases = list(itertools.product(every, every, ALL + (legacy,),
                                       (False, True)))
        self.assertEqual(8 * 21 * 21 * 19 * 2, self._compare(
            transcribed.expected_write_condition, ask, cases))

    def test_every_creation(self):
        """A creation's condition: an initial status, and no row to hold."""
        legacy = 'finshed'
        checked = 0
        for key in EXPECTED:
            for to in (None, legacy) + ALL:
                expected = transcribed.expected_creation(key, to)
                try:
                    outcome, statuses = machines.write_condition(
                        key[0], cross_cell_move=key[1], seen=machines.CREATE,
                        persisted=machines.CREATE, target=to)
                    got = outcome, set(statuses)
                except exceptions.InvalidMigrationStatusTransition as error:
                    got = type(error)
                self.assertEqual(expected, got, '%s create %r' % (key, to))
                checked += 1
        self.assertEqual(8 * 20, checked)
        for seen, persisted in ((machines.CREATE, 'accepted'),
                                (None, machines.CREATE)):
            self.assertRaises(ValueError, machines.write_condition,
                              'migration', seen=seen, persisted=persisted,
                              target='accepted')

    def test_creation_is_not_a_null_row(self):
        """CREATE is no status: a NULL row is a row, a creation is not."""
        self.assertIsNotNone(machines.CREATE)
        self.assertIs(machines.CREATE, copy.deepcopy(machines.CREATE))
        self.assertIs(machines.CREATE,
                      pickle.loads(pickle.dumps(machines.CREATE)))
        self.assertRaises(exceptions.InvalidMigrationStatusTransition,
                          machines.write_condition, 'migration', seen=None,
                          persisted=None, target='pre-migrating')

    def test_every_tabulated_write_condition(self):
        """The hot path's table says what the oracle says, either mode."""
        for (t, cc, seen, persisted, to), (outcome, expected) in \
                machines.WRITE_CONDITIONS.items():
            for detect in (False, True):
                self.assertEqual(
                    transcribed.expected_write_condition(
                        (t, cc), seen, persisted, to, detect),
                    (outcome, set(expected)))
        # Every fresh move and same-value write of every machine.
        self.assertEqual(
            sum(len(lifecycle) + len({s for e in lifecycle for s in e})
                for lifecycle, _, _, _ in EXPECTED.values()),
            len(machines.WRITE_CONDITIONS))

    def test_write_condition_names_the_migration_lazily(self):
        names = []

        def name():
            names.append(1)
            return 'm-9'

        machines.write_condition('resize', seen='finished',
                                 persisted='finished', target='confirmed',
                                 migration=name)
        self.assertEqual([], names)
        error = self.assertRaises(
            exceptions.InvalidMigrationStatusTransition,
            machines.write_condition, 'resize', seen='finished',
            persisted='finished', target='migrating', migration=name)
        self.assertIn('Migration m-9 ', str(error))

    def test_arguments_after_the_type_are_keyword_only(self):
        for call in (machines.judge, machines.write_condition,
                     machines.judge_unheld):
            self.assertRaises(TypeError, call, 'resize', False, 'finished',
                              'finished', 'confirmed')

    def test_races(self):
        for (migration_type, cross_cell), (_, races, _, _) in \
                EXPECTED.items():
            self.assertEqual(races, {
                (p, to) for p, to, _, _ in
                machines.races(migration_type, cross_cell)})
            for persisted, to in itertools.product(ALL, ALL):
                self.assertEqual(
                    (persisted, to) in races,
                    machines.is_race(migration_type, persisted, to,
                                     cross_cell))

    def test_automaton_machine_agrees(self):
        for (migration_type, cross_cell), (edges, _, _, _) in \
                EXPECTED.items():
            machine = machines.get_machine(migration_type, cross_cell)
            self.assertEqual(edges, {(src, dst) for src, event, dst
                                     in machine})
            for src, event, dst in machine:
                self.assertEqual(event, dst)

    def test_edge_counts(self):
        self.assertEqual(
            {'migration': 17, 'resize': 17, 'migration+cc': 19,
             'resize+cc': 19, 'live-migration': 21, 'evacuation': 10},
            {t + ('+cc' if cc else ''): len(list(machines.get_machine(t, cc)))
             for t, cc in machines.machine_keys()})

    def test_unknown_status_is_refused(self):
        self.assertFalse(machines.is_allowed('resize', 'finish', 'error'))
        self.assertFalse(machines.is_allowed('resize', 'finished',
                                             'Completed'))

    def test_unknown_type_raises(self):
        for call in (lambda: machines.is_allowed('teleport', 'accepted',
                                                 'queued'),
                     lambda: machines.judge('teleport', seen='accepted',
                                            persisted='accepted',
                                            to_status='queued'),
                     lambda: machines.is_race('teleport', 'done', 'error')):
            error = self.assertRaises(exceptions.UnknownMigrationType, call)
            self.assertIsInstance(error, ValueError)
            self.assertIn("'teleport'", str(error))
            self.assertIn("'live-migration'", str(error))


class TestTerminalMeansTerminal(testtools.TestCase):
    """A writer that saw an end cannot start the migration again."""

    def test_seen_completed_evacuation_cannot_go_back(self):
        for to in ('pre-migrating', 'done', 'failed', 'error', 'accepted'):
            error = self.assertRaises(
                exceptions.InvalidMigrationStatusTransition, machines.judge,
                'evacuation', seen='completed', persisted='completed',
                to_status=to, migration='m-1')
            self.assertEqual("Migration m-1 (type evacuation) may not move "
                             "from status 'completed' to %r; allowed next "
                             "statuses: none." % to, str(error))

    def test_stale_destination_finishes_after_source_restart(self):
        # Bug 1764883: the destination saw pre-migrating, the restarted
        # source wrote completed.
        self.assertEqual('race', machines.judge(
            'evacuation', seen='pre-migrating', persisted='completed',
            to_status='done'))

    def test_stale_writer_still_needs_its_own_move(self):
        # The destination saw accepted: accepted -> done is no move of its.
        self.assertRaises(exceptions.InvalidMigrationStatusTransition,
                          machines.judge, 'evacuation', seen='accepted',
                          persisted='completed', to_status='done')

    def test_undeclared_race_is_a_conflict(self):
        error = self.assertRaises(
            exceptions.MigrationStatusConflict, machines.judge,
            'resize', seen='pre-migrating', persisted='confirmed',
            to_status='error', migration='m-2')
        self.assertEqual(
            "Migration m-2 (type resize) was last seen in status "
            "'pre-migrating' but the database holds 'confirmed'; the move "
            "to 'error' was not written. A stale writer may only move to "
            "'error' from: none.", str(error))

    def test_detect_stale_writes_refuses_a_declared_race(self):
        self.assertRaises(exceptions.MigrationStatusConflict,
                          machines.judge, 'evacuation', seen='pre-migrating',
                          persisted='completed', to_status='done',
                          detect_stale_writes=True)

    def test_terminal_statuses_leave_only_for_errors(self):
        for key in machines.machine_keys():
            for status in machines.ended_statuses(*key):
                self.assertLessEqual(
                    set(machines.next_statuses(key[0], status, key[1])),
                    {'error', 'failed'}, key)


class TestMachines(testtools.TestCase):

    def test_one_built_machine_per_key(self):
        for key, (lifecycle, races, initial, ended) in EXPECTED.items():
            m = machines.get(*key)
            self.assertIsInstance(m, machines.Machine)
            self.assertIs(m.automaton, machines.get_machine(*key))
            moves = {(s, d) for s, d, _ in m.edges + m.late
                     if s is not machines.CREATE}
            self.assertEqual(lifecycle, moves, key)
            self.assertEqual(races, {(p, d) for p, d, _, _ in m.races})
            # The late moves are a table of their own: out of an end.
            for src, dst, _ in m.late:
                self.assertIn(src, ended)
                self.assertIn(dst, {'error', 'failed'})
            self.assertFalse({(s, d) for s, d, _ in m.late} &
                             {(s, d) for s, d, _ in m.edges})
            self.assertEqual(initial, set(m.initial))
            self.assertEqual(ended, set(m.ended))
            self.assertEqual({'error', 'failed'} & set(m.statuses),
                             set(m.errors))
        self.assertEqual(4, len(machines.built()))

    def test_built_machine_is_frozen(self):
        m = machines.get('evacuation')
        self.assertRaises(dataclasses.FrozenInstanceError, setattr, m,
                          'ended', ())
        for table in (m.next, m.before, m.where, m.race_of):
            self.assertRaises(TypeError, operator.setitem, table, 'done', ())

    def test_readers_get_the_same_object(self):
        from nova_migration_sm import diagrams
        self.assertIs(machines.get('resize'), diagrams.machine('migration'))
        self.assertEqual(machines.built(), diagrams.all_machines())

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

    def test_next_statuses_in_definition_order(self):
        self.assertEqual(('confirming', 'confirmed', 'reverting', 'error'),
                         machines.next_statuses('resize', 'finished'))
        self.assertEqual(('confirmed', 'reverting', 'error'),
                         machines.next_statuses('resize', 'post-migrating',
                                                cross_cell_move=True))
        self.assertEqual(('running (post-copy)', 'completed', 'failed',
                          'cancelled', 'error'),
                         machines.next_statuses('live-migration',
                                                'running'))
        self.assertEqual(('accepted',),
                         machines.next_statuses('live-migration',
                                                machines.CREATE))
        self.assertEqual(('error',), machines.next_statuses(
            'live-migration', 'cancelled'))
        self.assertEqual((), machines.next_statuses('live-migration',
                                                    'finished'))
        self.assertEqual((), machines.next_statuses('evacuation',
                                                    'completed'))

    def test_initial_terminal_in_progress(self):
        self.assertEqual(('pre-migrating',),
                         machines.initial_statuses('migration'))
        self.assertEqual(('accepted', 'pre-migrating'),
                         machines.initial_statuses('evacuation'))
        self.assertEqual(('error', 'failed', 'completed', 'cancelled'),
                         machines.ended_statuses('live-migration'))
        self.assertEqual(('accepted', 'queued', 'preparing', 'running',
                          'running (post-copy)'),
                         machines.in_progress_statuses('live-migration'))
        self.assertEqual(('pre-migrating', 'migrating', 'post-migrating',
                          'finished', 'confirming', 'reverting'),
                         machines.in_progress_statuses('resize'))
        # done: rebuilt on the destination, the source still to clean up.
        self.assertEqual(('accepted', 'pre-migrating', 'done'),
                         machines.in_progress_statuses('evacuation'))

    def test_claiming_and_released(self):
        # done: the evacuated instance landed; only the source cleans up.
        self.assertEqual(('accepted', 'pre-migrating'),
                         machines.claiming_statuses('evacuation'))
        self.assertEqual(('error', 'failed', 'done', 'completed'),
                         machines.released_statuses('evacuation'))
        self.assertEqual(machines.in_progress_statuses('resize'),
                         machines.claiming_statuses('resize'))
        # nova/db/main/api.py:3327-3337, transcribed: what the resource
        # tracker does not claim for, whatever the type.
        nova = {'confirmed', 'reverted', 'error', 'failed', 'completed',
                'cancelled', 'done'}
        self.assertEqual(nova, set(machines.statuses_of_every_type(
            machines.released_statuses)))
        self.assertEqual(set(ALL) - nova, set(
            machines.statuses_of_every_type(machines.claiming_statuses)))

    def test_statuses_before(self):
        self.assertEqual(('pre-migrating', 'done', 'completed'),
                         machines.statuses_before('evacuation', 'done'))
        self.assertEqual(('completed',), machines.statuses_before(
            'evacuation', 'done', races_only=True))
        self.assertEqual(('post-migrating', 'finished'),
                         machines.statuses_before('resize', 'finished'))

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
        self.assertIsNone(machines.where('evacuation', 'completed', 'done'))
        persisted, to, where, race = machines.race('evacuation', 'completed',
                                                   'done')
        self.assertIn('resource_tracker.py:2167', where)
        self.assertIn('bug 1764883', race)
        self.assertIsNone(machines.where('resize', 'confirmed', 'migrating'))


class TestDefinitions(testtools.TestCase):

    def test_every_move_cites_a_nova_file_and_line(self):
        for definition in definitions.DEFINITIONS:
            for src, dst, where in definition.lifecycle:
                self.assertRegex(where, r'[a-z_/]+\.py:\d+',
                                 '%s -> %s' % (src, dst))
            for persisted, dst, where, race in definition.races:
                self.assertRegex(where, r'[a-z_/]+\.py:\d+')
                self.assertRegex(race, r'[a-z_/]+\.py:\d+')

    def test_no_duplicate_moves_and_no_self_loops(self):
        for definition in definitions.DEFINITIONS:
            for pairs in ([(src, dst) for src, dst, _ in definition.lifecycle],
                          [(p, dst) for p, dst, _, _ in definition.races]):
                self.assertEqual(len(pairs), len(set(pairs)))
                self.assertFalse([p for p in pairs if p[0] == p[1]])

    def test_terminal_statuses_are_states(self):
        for key in machines.machine_keys():
            self.assertLessEqual(set(machines.ended_statuses(*key)),
                                 set(machines.statuses(*key)))

    def test_only_declared_statuses_are_spelled(self):
        for definition in definitions.DEFINITIONS:
            for src, dst, _ in definition.lifecycle:
                self.assertIn(dst, statuses.MigrationStatus.ALL)
                self.assertIn(src, (definitions.CREATE,) +
                              statuses.MigrationStatus.ALL)
            for persisted, dst, _, _ in definition.races:
                self.assertIn(persisted, statuses.MigrationStatus.ALL)
                self.assertIn(dst, statuses.MigrationStatus.ALL)

    def test_statuses_in_the_transcribed_order(self):
        # The enum's order is part of the object fingerprint.
        self.assertEqual(transcribed.ALL, statuses.MigrationStatus.ALL)
        self.assertEqual(transcribed.UNKNOWN, machines.UNKNOWN)

    def test_status_strings_fit_nova_column_and_are_unique(self):
        self.assertEqual(18, len(set(statuses.MigrationStatus.ALL)))
        for status in statuses.MigrationStatus.ALL:
            self.assertLessEqual(len(status), 255)
        self.assertNotIn(machines.UNKNOWN, statuses.MigrationStatus.ALL)


class TestValidate(testtools.TestCase):
    """A definition that breaks "terminal means terminal" does not build."""

    def _definition(self, **changes):
        return dataclasses.replace(definitions.EVACUATION, **changes)

    def test_edge_out_of_a_terminal_status(self):
        broken = self._definition(edges=definitions.EVACUATION.edges + (
            ('completed', 'pre-migrating', 'x.py:1'),))
        error = self.assertRaises(ValueError, machines.build_machine, broken)
        self.assertIn('edge completed -> pre-migrating leaves an ended '
                      'status', str(error))

    def test_late_edge_into_a_status_that_is_no_error(self):
        broken = self._definition(late=(('completed', 'done', 'x.py:1'),))
        error = self.assertRaises(ValueError, machines.build_machine, broken)
        self.assertIn('late edge completed -> done', str(error))

    def test_race_no_fresh_writer_takes(self):
        broken = self._definition(races=(
            ('completed', 'accepted', 'x.py:1', 'y.py:2'),))
        error = self.assertRaises(ValueError, machines.build_machine, broken)
        self.assertIn('no fresh writer moves to accepted', str(error))

    def test_same_value_race(self):
        broken = self._definition(races=(
            ('done', 'done', 'x.py:1', 'y.py:2'),))
        error = self.assertRaises(ValueError, machines.build_machine, broken)
        self.assertIn('done -> done is a same-value write', str(error))
