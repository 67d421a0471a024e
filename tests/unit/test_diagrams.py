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
from nova_migration_sm import machines
from nova_migration_sm.statuses import MigrationStatus
from nova_migration_sm.statuses import MigrationType


def machine_edges(migration_type, cross_cell=False):
    """``{(from, to)}`` straight from the automaton machine."""
    return {(src, dst) for src, _event, dst in
            machines.get_machine(migration_type, cross_cell)}


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

    def test_edges_are_the_machine_edges(self):
        for migration_type, cross_cell in every_key():
            m = diagrams.machine(migration_type, cross_cell)
            self.assertEqual(machine_edges(migration_type, cross_cell),
                             {(src, dst) for src, dst, _ in m.edges})
            self.assertTrue(all(where for _, _, where in m.edges))

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
            graph = self._parse(m)
            edges = {(node_name_of(e.get_source()),
                      node_name_of(e.get_destination())): e
                     for e in graph.get_edges()}
            expected = {(s, d) for s, d, _ in m.edges} | {
                (diagrams.START, s) for s in m.initial}
            self.assertEqual(expected, set(edges))
            for (src, dst), edge in edges.items():
                label = edge.get_label().strip('"')
                if src == diagrams.START:
                    self.assertEqual(diagrams.CREATE_LABEL, label)
                else:
                    self.assertEqual(diagrams.nova_function(
                        machines.where(m.migration_types[0], src, dst,
                                       m.cross_cell_move)), label)

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

    def test_every_edge_and_mark(self):
        for m in diagrams.all_machines():
            text = diagrams.to_mermaid(m)
            self.assertIn('stateDiagram-v2', text)
            ident = {s: s.replace('-', '_').replace(' (', '_').rstrip(')')
                     for s in m.statuses}
            for src, dst, _ in m.edges:
                self.assertIn('    %s --> %s : ' % (ident[src], ident[dst]),
                              text)
            for status in m.initial:
                self.assertIn('[*] --> %s : create' % ident[status], text)
            self.assertIn('class %s terminal' % ','.join(
                ident[s] for s in m.terminal), text)

    def test_status_with_spaces_gets_an_id(self):
        text = diagrams.to_mermaid(
            diagrams.machine(MigrationType.LIVE_MIGRATION))
        self.assertIn('state "running (post-copy)" as running_post_copy',
                      text)


class TestJson(testtools.TestCase):

    def test_round_trips_to_the_machine_edges(self):
        data = json.loads(diagrams.to_json(diagrams.all_machines()))
        self.assertEqual(len(definitions.DEFINITIONS), len(data['machines']))
        for item in data['machines']:
            for migration_type in item['migration_types']:
                cross_cell = item['cross_cell_move']
                self.assertEqual(
                    machine_edges(migration_type, cross_cell),
                    {(e['from'], e['to']) for e in item['edges']})
                self.assertEqual(
                    list(machines.initial_statuses(migration_type,
                                                   cross_cell)),
                    item['initial'])
                self.assertEqual(
                    list(machines.terminal_statuses(migration_type,
                                                    cross_cell)),
                    item['terminal'])


class TestTable(testtools.TestCase):

    def test_next_statuses_and_marks(self):
        m = diagrams.machine(MigrationType.RESIZE)
        lines = diagrams.to_table(m).splitlines()
        rows = {line.split()[0]: line for line in lines[2:]}
        self.assertEqual(set(m.statuses), set(rows))
        for status in m.statuses:
            nexts = machines.next_statuses(MigrationType.RESIZE, status)
            self.assertTrue(rows[status].rstrip().endswith(
                ', '.join(nexts) or '-'), rows[status])
        self.assertIn('initial', rows['pre-migrating'])
        self.assertIn('terminal,error', rows['error'])

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

    def test_writers_are_the_edges_into_the_status(self):
        for entry in diagrams.glossary():
            expected = {(m.name, src, dst) for m in diagrams.all_machines()
                        for src, dst, _ in m.edges if dst == entry.status}
            expected |= {(m.name, None, s) for m in diagrams.all_machines()
                         for s in m.initial if s == entry.status}
            self.assertEqual(expected, {
                (m.name, src, entry.status)
                for m, src, _ in entry.writers})
            self.assertTrue(entry.writers, entry.status)
