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

"""``.. operator-mistakes:: FILE.csv``: the catalogue the unit tests run.

A table of the CSV's columns, commands and messages shown literally (a
message such as ``nova:***@db`` is no reStructuredText markup), so that
the page shows exactly what ``tests/unit/test_operator_mistakes.py``
checks.
"""

import csv
import os

from docutils import nodes
from sphinx.util import docutils as sphinx_docutils

LITERAL = ('Command', 'Message', 'Not installed')
WIDTHS = {'Mistake': 18, 'Command': 30, 'Exit': 4, 'Message': 40,
          'Not installed': 8}


def _cell(column: str, text: str) -> nodes.entry:
    paragraph = nodes.paragraph()
    if text:
        paragraph += (nodes.literal(text, text) if column in LITERAL
                      else nodes.Text(text))
    return nodes.entry('', paragraph)


def _row(columns, values) -> nodes.row:
    row = nodes.row()
    for column, value in zip(columns, values):
        row += _cell(column, value)
    return row


class OperatorMistakes(sphinx_docutils.SphinxDirective):
    required_arguments = 1

    def run(self):
        path = os.path.join(os.path.dirname(self.env.doc2path(
            self.env.docname)), self.arguments[0])
        self.env.note_dependency(path)
        with open(path, newline='') as stream:
            rows = list(csv.reader(stream))
        columns = rows[0]
        group = nodes.tgroup(cols=len(columns))
        for column in columns:
            group += nodes.colspec(colwidth=WIDTHS.get(column, 10))
        head = nodes.thead()
        head += _row([None] * len(columns), columns)
        body = nodes.tbody()
        for values in rows[1:]:
            body += _row(columns, values)
        group += head
        group += body
        table = nodes.table()
        table += group
        return [table]


def setup(app):
    app.add_directive('operator-mistakes', OperatorMistakes)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
