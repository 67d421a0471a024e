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

"""Diagrams and data derived from the machines: DOT, SVG, Mermaid, JSON."""

import json
import shutil

import pydot
import testtools

from nova_migration_sm import definitions
from nova_migration_sm import diagrams
from nova_migration_sm.statuses import MigrationStatus
from nova_migration_sm.statuses import MigrationType
from tests import transcription as transcribed

# Recorded by hand from the definitions and reviewed line by line.
EVACUATION_TABLE = """\
evacuation: Evacuation (rebuild on another host).
  status         marks        allowed next statuses                    \
race moves (stale writers only)
  accepted       initial      pre-migrating, error, failed, completed  -
  pre-migrating  initial      done, failed, error, completed           -
  error          ended,error  failed                                   -
  failed         ended,error  -                                        -
  done           -            completed                                -
  completed      ended        -                                        \
done (source compute restart), pre-migrating (source compute restart), \
failed (source compute restart), error (source compute restart)
"""

EVACUATION_MERMAID = """\
---
title: evacuation
---
stateDiagram-v2
    state "accepted" as accepted
    state "pre-migrating" as pre_migrating
    state "error" as error
    state "failed" as failed
    state "done" as done
    state "completed" as completed
    [*] --> accepted : create
    [*] --> pre_migrating : create
    accepted --> pre_migrating : _claim_existing_migration
    accepted --> error : rebuild_instance
    accepted --> failed : rebuild_instance
    accepted --> completed : _destroy_evacuated_instances
    pre_migrating --> done : finish_evacuation
    pre_migrating --> failed : rebuild_instance
    pre_migrating --> error : _update_usage_from_migrations
    pre_migrating --> completed : _destroy_evacuated_instances
    error --> failed : _cleanup_incomplete_migrations
    done --> completed : _destroy_evacuated_instances
    completed --> done : race, source compute restart
    completed --> pre_migrating : race, source compute restart
    completed --> failed : race, source compute restart
    completed --> error : race, source compute restart
    classDef ended stroke-width:4px
    classDef failure color:red,stroke:red
    class error,failed,completed ended
    class error,failed failure
"""


def every_key():
    return [(t, cc) for t in MigrationType.ALL for cc in (False, True)]


def node_name(node) -> str:
    return node.get_name().strip('"')


class TestMachines(testtools.TestCase):

    def test_one_per_definition(self):
        selected = diagrams.all_machines()
        self.assertEqual(len(definitions.DEFINITIONS), len(selected))
        self.assertEqual(
            ['migration-resize', 'migration-resize-cross-cell',
             'live-migration', 'evacuation'], [m.name for m in selected])

    def test_edges_and_races_are_the_transcribed_ones(self):
        for migration_type, cross_cell in every_key():
            lifecycle, races, initial, terminal = transcribed.EXPECTED[
                (migration_type, cross_cell)]
            m = diagrams.machine(migration_type, cross_cell)
            self.assertEqual(lifecycle,
                             {(src, dst) for src, dst, _ in m.moves})
            self.assertEqual(races, {(p, dst) for p, dst, _, _ in m.races})
            self.assertEqual(initial, set(m.initial))
            self.assertEqual(terminal, set(m.ended))
            self.assertTrue(all(where for _, _, where in m.moves))

    def test_nova_function(self):
        self.assertEqual('_resize_instance', diagrams.nova_function(
            'compute/manager.py:6360 ComputeManager._resize_instance '
            '(source)'))
        self.assertEqual('_live_migrate', diagrams.nova_function(
            'conductor/manager.py:550, :561 ComputeTaskManager._live_migrate'
            '; compute/manager.py:1 other'))
        self.assertEqual('finish_evacuation', diagrams.nova_function(
            'S: compute/resource_tracker.py:2167 finish_evacuation'))


class TestDot(testtools.TestCase):

    def _parse(self, m):
        graphs = pydot.graph_from_dot_data(diagrams.to_dot(m))
        self.assertEqual(1, len(graphs))
        return graphs[0]

    def test_parses_with_every_edge_labelled(self):
        for m in diagrams.all_machines():
            lifecycle, races, initial, _ = transcribed.EXPECTED[
                (m.migration_types[0], m.cross_cell_move)]
            graph = self._parse(m)
            edges = {(node_name_of(e.get_source()),
                      node_name_of(e.get_destination())): e
                     for e in graph.get_edges()}
            self.assertEqual(
                lifecycle | races | {(diagrams.START, s) for s in initial},
                set(edges))
            for (src, dst), edge in edges.items():
                label = edge.get_label().strip('"')
                style = (edge.get('style') or '').strip('"')
                if src == diagrams.START:
                    self.assertEqual('create', label)
                    self.assertEqual('dotted', style)
                elif (src, dst) in races:
                    self.assertTrue(label.startswith('race: '), label)
                    self.assertEqual('dashed', style)
                else:
                    self.assertFalse(label.startswith('race'), label)
                    self.assertEqual('', style)

    def test_labels_name_nova_functions_and_races(self):
        m = diagrams.machine(MigrationType.EVACUATION)
        labels = {(node_name_of(e.get_source()),
                   node_name_of(e.get_destination())):
                  e.get_label().strip('"')
                  for e in self._parse(m).get_edges()}
        self.assertEqual('finish_evacuation',
                         labels[('pre-migrating', 'done')])
        self.assertEqual('_destroy_evacuated_instances',
                         labels[('done', 'completed')])
        self.assertEqual('race: source compute restart',
                         labels[('completed', 'done')])

    def test_terminal_initial_and_error_are_distinct(self):
        m = diagrams.machine(MigrationType.LIVE_MIGRATION)
        nodes = {node_name(n): n for n in self._parse(m).get_nodes()}
        self.assertEqual(set(m.statuses) | {diagrams.START}, set(nodes))
        self.assertEqual('2', nodes['completed'].get('peripheries'))
        self.assertIsNone(nodes['running'].get('peripheries'))
        self.assertIn('bold', nodes['accepted'].get('style'))
        self.assertNotIn('bold', nodes['queued'].get('style'))
        self.assertEqual('red', nodes['error'].get('color'))
        self.assertIsNone(nodes['cancelled'].get('color'))

    def test_svg_renders(self):
        if shutil.which('dot') is None:
            self.skipTest('Graphviz dot is not installed')
        for m in diagrams.all_machines():
            svg = diagrams.to_image(m, 'svg').decode()
            self.assertIn('<svg', svg)
            missing = [s for s in m.statuses if '>%s</text>' % s.replace(
                '-', '&#45;') not in svg]
            self.assertEqual([], missing)
        png = diagrams.to_image(diagrams.all_machines()[0], 'png')
        self.assertTrue(png.startswith(b'\x89PNG'))


def node_name_of(name: str) -> str:
    return name.strip('"')


class TestMermaid(testtools.TestCase):

    def test_evacuation_as_recorded(self):
        self.assertEqual(EVACUATION_MERMAID, diagrams.to_mermaid(
            diagrams.machine(MigrationType.EVACUATION)))

    def test_status_with_spaces_gets_an_id(self):
        text = diagrams.to_mermaid(
            diagrams.machine(MigrationType.LIVE_MIGRATION))
        self.assertIn('state "running (post-copy)" as running_post_copy',
                      text)
        self.assertIn('    running --> running_post_copy : '
                      'trigger_postcopy_switch', text)


class TestJson(testtools.TestCase):

    def test_matches_the_transcription(self):
        data = json.loads(diagrams.to_json(diagrams.all_machines()))
        self.assertEqual(4, len(data['machines']))
        for item in data['machines']:
            for migration_type in item['migration_types']:
                lifecycle, races, initial, terminal = transcribed.EXPECTED[
                    (migration_type, item['cross_cell_move'])]
                self.assertEqual(lifecycle, {(e['from'], e['to'])
                                             for e in item['edges']})
                self.assertEqual(races, {(r['persisted'], r['to'])
                                         for r in item['races']})
                self.assertEqual(initial, set(item['initial']))
                self.assertEqual(terminal, set(item['ended']))


class TestTable(testtools.TestCase):

    def test_evacuation_as_recorded(self):
        self.assertEqual(EVACUATION_TABLE, diagrams.to_table(
            diagrams.machine(MigrationType.EVACUATION)))

    def test_render_svg_needs_one_machine(self):
        self.assertRaises(ValueError, diagrams.render,
                          diagrams.all_machines(), 'svg')


class TestGlossary(testtools.TestCase):

    def test_every_status_with_its_docstring(self):
        entries = diagrams.glossary()
        self.assertEqual(list(MigrationStatus.ALL),
                         [e.status for e in entries])
        by_status = {e.status: e for e in entries}
        self.assertEqual('RUNNING_POST_COPY',
                         by_status['running (post-copy)'].constant)
        self.assertIn('live-migration',
                      by_status['queued'].meaning)

    def test_writers_of_done(self):
        entry = {e.status: e for e in diagrams.glossary()}['done']
        self.assertEqual(
            [('evacuation', 'pre-migrating')],
            [(m.name, src) for m, src, _ in entry.writers])
        self.assertEqual(
            [('evacuation', 'completed', 'source compute restart')],
            [(m.name, p, definitions.race_name(race))
             for m, p, _, race in entry.races])
        self.assertIn('resource_tracker.py:2167', entry.writers[0][2])

    def test_every_status_has_a_writer(self):
        for entry in diagrams.glossary():
            self.assertTrue(entry.writers, entry.status)
