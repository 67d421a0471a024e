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

"""The machines as pictures and data: DOT, SVG/PNG, Mermaid, JSON, tables.

Everything is read from the built :class:`nova_migration_sm.machines.Machine`
(DOT through ``automaton.converters.pydot``), so a diagram can never
disagree with the checks. Initial statuses have a ``create`` edge from a
start point, ended statuses (the migration is over) a double border, error
statuses red; each lifecycle edge is labelled with the Nova function that
makes the move (its tooltip in SVG is the full Nova 34.0.0 location).
Race moves, which only a writer with a stale view may make, are drawn
apart: dashed, grey, labelled with the race's name. The glossary is read
from the attribute docstrings of :mod:`nova_migration_sm.statuses` with
``ast``.
"""

import ast
import dataclasses
import inspect
import json
import re

from nova_migration_sm import definitions
from nova_migration_sm import machines
from nova_migration_sm import statuses as sm_statuses
from nova_migration_sm.statuses import MigrationStatus

FORMATS = ('table', 'dot', 'svg', 'png', 'json', 'mermaid')
"""What :func:`render` produces; svg and png need Graphviz ``dot``."""

START = '__start__'
CREATE_LABEL = machines.Outcome.CREATE

Machine = machines.Machine


def machine(migration_type: str, cross_cell_move: bool = False) -> Machine:
    """The built machine of a type (raises ``UnknownMigrationType``)."""
    return machines.get(migration_type, cross_cell_move)


def all_machines() -> tuple[Machine, ...]:
    """One :class:`Machine` per definition (types sharing one are merged)."""
    return machines.built()


def select(migration_type: str | None,
           cross_cell_move: bool = False) -> tuple[Machine, ...]:
    """The machine of a type, or every machine when the type is None."""
    if migration_type is None:
        return all_machines()
    return (machine(migration_type, cross_cell_move),)


def nova_function(where: str) -> str:
    """The short name of the first Nova function a ``WHERE`` cites."""
    for word in where.split(';')[0].split():
        word = word.strip(',:()')
        if re.fullmatch(r'[A-Za-z_][\w.]*', word) and len(word) > 1:
            return word.split('.')[-1]
    return where


# -- DOT, SVG, PNG -----------------------------------------------------------

def _node_attrs(m: Machine, status: str) -> dict:
    attrs = {'shape': 'box', 'style': 'rounded', 'tooltip': status}
    if status in m.ended:
        attrs['peripheries'] = '2'
    if status in m.initial:
        attrs['style'] = 'rounded,bold'
    if status in machines.ERROR_STATUSES:
        attrs.update(color='red', fontcolor='red')
    return attrs


def to_pydot(m: Machine):
    """A ``pydot.Dot`` built by ``automaton.converters.pydot``."""
    from automaton.converters import pydot as automaton_pydot
    import pydot

    wheres = {(src, dst): where for src, dst, where in m.moves}
    graph = automaton_pydot.convert(
        m.automaton,
        m.name,
        graph_attrs={'label': '%s: %s' % (m.title, m.summary),
                     'labelloc': 't', 'size': '', 'fontsize': '12'},
        node_attrs_cb=lambda status: _node_attrs(m, status),
        edge_attrs_cb=lambda src, event, dst: {
            'label': nova_function(wheres[(src, dst)]),
            'tooltip': wheres[(src, dst)],
            'fontsize': '9',
            **({'color': 'red'} if dst in machines.ERROR_STATUSES else {})},
        add_start_state=False)
    graph.add_node(pydot.Node(START, shape='point', width='0.15',
                              xlabel='start', tooltip='created'))
    for status in m.initial:
        graph.add_edge(pydot.Edge(
            START, status, style='dotted', label=CREATE_LABEL,
            fontsize='9', tooltip=m.where[(machines.CREATE, status)]))
    for persisted, dst, where, race in m.races:
        graph.add_edge(pydot.Edge(
            persisted, dst, style='dashed', color='grey40',
            fontcolor='grey40', fontsize='9', constraint='false',
            label='race: %s' % definitions.race_name(race),
            tooltip='%s (nova/%s)' % (race, where)))
    return graph


def to_dot(m: Machine) -> str:
    """Graphviz DOT text of a machine (no Graphviz needed)."""
    return to_pydot(m).to_string()


def to_image(m: Machine, image_format: str = 'svg') -> bytes:
    """The machine drawn by Graphviz ``dot`` (svg or png).

    Raises ``FileNotFoundError`` when ``dot`` is not installed (Debian
    package ``graphviz``).
    """
    return to_pydot(m).create(format=image_format, prog='dot')


# -- Mermaid, JSON, table ---------------------------------------------------

def _mermaid_id(status: str) -> str:
    return re.sub(r'[^A-Za-z0-9]+', '_', status).strip('_')


def to_mermaid(m: Machine) -> str:
    """A Mermaid ``stateDiagram-v2`` of a machine."""
    lines = ['---', 'title: %s' % m.title, '---', 'stateDiagram-v2']
    lines += ['    state "%s" as %s' % (s, _mermaid_id(s))
              for s in m.statuses]
    lines += ['    [*] --> %s : %s' % (_mermaid_id(s), CREATE_LABEL)
              for s in m.initial]
    lines += ['    %s --> %s : %s' % (_mermaid_id(src), _mermaid_id(dst),
                                      nova_function(where))
              for src, dst, where in m.moves]
    lines += ['    %s --> %s : race, %s' % (
        _mermaid_id(persisted), _mermaid_id(dst), definitions.race_name(race))
        for persisted, dst, _, race in m.races]
    lines += ['    classDef ended stroke-width:4px',
              '    classDef failure color:red,stroke:red']
    lines.append('    class %s ended' % ','.join(
        _mermaid_id(s) for s in m.ended))
    failures = [_mermaid_id(s) for s in m.statuses
                if s in machines.ERROR_STATUSES]
    if failures:
        lines.append('    class %s failure' % ','.join(failures))
    return '\n'.join(lines) + '\n'


def to_dict(m: Machine) -> dict:
    """A JSON-ready dict of a machine."""
    return {
        'migration_types': list(m.migration_types),
        'cross_cell_move': m.cross_cell_move,
        'summary': m.summary,
        'statuses': list(m.statuses),
        'initial': list(m.initial),
        'ended': list(m.ended),
        'edges': [{'from': src, 'to': dst, 'where': where}
                  for src, dst, where in m.moves],
        'races': [{'persisted': persisted, 'to': dst, 'where': where,
                   'race': race}
                  for persisted, dst, where, race in m.races],
    }


def to_json(selected: tuple[Machine, ...]) -> str:
    """Every selected machine as one JSON document."""
    return json.dumps({'machines': [to_dict(m) for m in selected]},
                      indent=2) + '\n'


def to_table(m: Machine) -> str:
    """A plain text table: each status, its marks, where it may go.

    The last column lists the race moves out of a status: a writer whose
    view is stale may make them when the row holds that status.
    """
    rows = [('status', 'marks', 'allowed next statuses',
             'race moves (stale writers only)')]
    for status in m.statuses:
        marks = [mark for mark, member in (
            ('initial', status in m.initial),
            ('ended', status in m.ended),
            ('error', status in machines.ERROR_STATUSES)) if member]
        rows.append((status, ','.join(marks) or '-', ', '.join(
            dst for src, dst, _ in m.moves if src == status) or '-',
            ', '.join('%s (%s)' % (dst, definitions.race_name(race))
                      for persisted, dst, _, race in m.races
                      if persisted == status) or '-'))
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ['%s: %s' % (m.title, m.summary)]
    lines += [('  %-*s  %-*s  %-*s  %s' % (
        width[0], r[0], width[1], r[1], width[2], r[2], r[3])).rstrip()
        for r in rows]
    return '\n'.join(lines) + '\n'


def render(selected: tuple[Machine, ...], output_format: str) -> bytes:
    """The selected machines in one of :data:`FORMATS`.

    svg and png take exactly one machine (an image holds one graph).
    """
    if output_format in ('svg', 'png'):
        if len(selected) != 1:
            raise ValueError('%s shows one machine: give a migration type '
                             'or an output directory' % output_format)
        return to_image(selected[0], output_format)
    if output_format == 'json':
        return to_json(selected).encode()
    one = {'table': to_table, 'dot': to_dot, 'mermaid': to_mermaid}
    return '\n'.join(one[output_format](m) for m in selected).encode()


# -- glossary --------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class GlossaryEntry:
    """A status: its constant, meaning and who writes it, per machine."""

    status: str
    constant: str
    meaning: str
    writers: tuple[tuple[Machine, str | None, str], ...]
    """``(machine, from status or CREATE, where)``."""
    races: tuple[tuple[Machine, str, str, str], ...] = ()
    """``(machine, persisted status, where, race)`` of race moves."""


def attribute_docstrings(cls: type) -> dict[str, str]:
    """``{attribute name: docstring}`` of a class, read with ``ast``."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body
    docs = {}
    for node, following in zip(body, body[1:]):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and
                isinstance(node.targets[0], ast.Name) and
                isinstance(following, ast.Expr) and
                isinstance(following.value, ast.Constant) and
                isinstance(following.value.value, str)):
            docs[node.targets[0].id] = inspect.cleandoc(
                following.value.value)
    return docs


def glossary() -> tuple[GlossaryEntry, ...]:
    """One entry per status of :data:`MigrationStatus.ALL`, in order."""
    docs = attribute_docstrings(sm_statuses.MigrationStatus)
    constants = {getattr(MigrationStatus, name): name for name in docs}
    every = all_machines()
    entries = []
    for status in MigrationStatus.ALL:
        writers = []
        for m in every:
            if status in m.initial:
                writers.append((m, machines.CREATE,
                                m.where[(machines.CREATE, status)]))
            writers += [(m, src, where) for src, dst, where in m.moves
                        if dst == status]
        constant = constants[status]
        races = tuple((m, persisted, where, race) for m in every
                      for persisted, dst, where, race in m.races
                      if dst == status)
        entries.append(GlossaryEntry(status, constant, docs[constant],
                                     tuple(writers), races))
    return tuple(entries)
