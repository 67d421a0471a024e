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

"""Sphinx directives that draw and describe the machines from the code.

``.. migration-state-diagram:: TYPE`` (option ``:cross-cell:``) renders
the machine with ``sphinx.ext.graphviz`` (Graphviz ``dot`` runs at build
time; no picture is checked in). ``.. migration-state-table:: TYPE`` lists
each status with its marks and allowed next statuses.
``.. migration-status-glossary::`` writes one glossary entry per status:
its meaning (the attribute docstrings of ``statuses.py``) and the Nova
code that writes it (the edges of ``definitions.py``).
"""

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.ext import graphviz
from sphinx.util import docutils as sphinx_docutils
from sphinx.util import nodes as sphinx_nodes

from nova_migration_sm import definitions
from nova_migration_sm import diagrams
from nova_migration_sm import machines


def _docname(env) -> str:
    current = getattr(env, 'current_document', None)
    return current.docname if current is not None else env.docname


class _MachineDirective(sphinx_docutils.SphinxDirective):
    required_arguments = 1
    option_spec = {'cross-cell': directives.flag}

    def machine(self) -> diagrams.Machine:
        return diagrams.machine(self.arguments[0],
                                'cross-cell' in self.options)

    def parse(self, lines: list[str]) -> list[nodes.Node]:
        container = nodes.container()
        sphinx_nodes.nested_parse_with_titles(
            self.state, StringList(lines, source=_docname(self.env)),
            container)
        return container.children


class StateDiagram(_MachineDirective):
    """The machine of a type as an SVG drawn by Graphviz."""

    def run(self) -> list[nodes.Node]:
        machine = self.machine()
        node = graphviz.graphviz()
        node['code'] = diagrams.to_dot(machine)
        node['options'] = {'docname': _docname(self.env)}
        node['alt'] = 'State machine of %s' % machine.title
        node['align'] = 'center'
        return [node]


class StateTable(_MachineDirective):
    """Each status of a machine: marks and allowed next statuses."""

    def run(self) -> list[nodes.Node]:
        machine = self.machine()
        lines = ['.. list-table::', '   :header-rows: 1', '',
                 '   * - status', '     - marks',
                 '     - allowed next statuses',
                 '     - race moves (stale writers only)']
        for status in machine.statuses:
            marks = [mark for mark, member in (
                ('initial', status in machine.initial),
                ('ended', status in machine.ended),
                ('error', status in machines.ERROR_STATUSES)) if member]
            nexts = [dst for src, dst, _ in machine.moves if src == status]
            races = ['``%s`` (%s)' % (dst, definitions.race_name(race))
                     for persisted, dst, _, race in machine.races
                     if persisted == status]
            lines += ['   * - :term:`%s`' % status,
                      '     - %s' % (', '.join(marks) or '-'),
                      '     - %s' % (', '.join(
                          '``%s``' % s for s in nexts) or '-'),
                      '     - %s' % (', '.join(races) or '-')]
        return self.parse(lines)


class StatusGlossary(_MachineDirective):
    """One glossary entry per status, generated from the code."""

    required_arguments = 0
    option_spec = {}

    def run(self) -> list[nodes.Node]:
        lines = ['.. glossary::', '']
        for entry in diagrams.glossary():
            lines += ['   %s' % entry.status,
                      '      ``MigrationStatus.%s``. %s' % (
                          entry.constant,
                          entry.meaning.splitlines()[0])]
            lines += ['      %s' % line
                      for line in entry.meaning.splitlines()[1:]]
            lines += ['', '      Written in Nova 34.0.0 by:', '']
            for machine, src, where in entry.writers:
                move = ('created with it' if src is machines.CREATE
                        else 'from ``%s``' % src)
                lines.append('      * %s, %s: ``nova/%s``' % (
                    machine.title, move, where))
            for machine, persisted, where, race in entry.races:
                lines.append('      * %s, race over ``%s`` (%s): '
                             '``nova/%s``' % (machine.title, persisted,
                                              race, where))
            lines.append('')
        return self.parse(lines)


def setup(app):
    app.setup_extension('sphinx.ext.graphviz')
    app.add_directive('migration-state-diagram', StateDiagram)
    app.add_directive('migration-state-table', StateTable)
    app.add_directive('migration-status-glossary', StatusGlossary)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
