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

"""Check a Nova spec against the rules of nova-specs' 2027.1 template.

Usage: tools/nova/spec/check_spec.py [SPEC.rst ...]

The rules nova-specs' ``tests/test_titles.py`` enforces, written again
here because CI cannot fetch nova-specs:

* the sections and subsections of the template (``TEMPLATE``, transcribed
  by hand from ``specs/2027.1-template.rst``), none missing, no extra
  section; extra subsections are allowed;
* lines of at most 79 columns, except inside a literal block (after a
  line with ``::``), a line with a URL and a line with no whitespace;
* no trailing whitespace, no carriage return, no zero-width space;
* the file is reStructuredText docutils reads without a warning.

Prints one line per problem and exits 1 if there is any, 0 if the spec
is clean, 2 on bad input (a missing file).
"""

import os
import re
import sys

from docutils import core
from docutils import nodes

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(HERE, 'migration-state-machine.rst')

# nova-specs specs/2027.1-template.rst (commit 23297f9): section ->
# subsections, in the template's order.
TEMPLATE = {
    'Problem description': ('Use Cases',),
    'Proposed change': (
        'Alternatives', 'Data model impact', 'REST API impact',
        'Security impact', 'Notifications impact', 'Other end user impact',
        'Performance Impact', 'Other deployer impact', 'Developer impact',
        'Upgrade impact'),
    'Implementation': ('Assignee(s)', 'Feature Liaison', 'Work Items'),
    'Dependencies': (),
    'Testing': (),
    'Documentation Impact': (),
    'References': (),
    'History': (),
}
OPTIONAL_SECTIONS = frozenset({'History'})
OPTIONAL_SUBSECTIONS = frozenset({'Feature Liaison'})

MAX_COLUMNS = 79
WARNING_LEVEL = 2  # docutils: 1 info, 2 warning, 3 error, 4 severe


def title_tree(document: nodes.document) -> dict[str, list[str]]:
    """The document's top-level section titles -> their subsection titles.

    The spec's title is the document title (docutils promotes a lone
    top-level section), so its sections are the template's sections.
    """
    tree = {}
    for section in document.children:
        if isinstance(section, nodes.section):
            tree[_title(section)] = [_title(child) for child in section
                                     if isinstance(child, nodes.section)]
    return tree


def _title(section: nodes.section) -> str:
    return section.next_node(nodes.title).astext()


def check_titles(tree: dict[str, list[str]]) -> list[str]:
    problems = []
    missing = [name for name in TEMPLATE
               if name not in tree and name not in OPTIONAL_SECTIONS]
    if missing:
        problems.append('missing sections: %s' % ', '.join(missing))
    extra = [name for name in tree if name not in TEMPLATE]
    if extra:
        problems.append('sections not in the template: %s'
                        % ', '.join(extra))
    for name, wanted in TEMPLATE.items():
        have = tree.get(name, [])
        lacking = [sub for sub in wanted
                   if sub not in have and sub not in OPTIONAL_SUBSECTIONS]
        if name in tree and lacking:
            problems.append("section '%s' misses subsections: %s"
                            % (name, ', '.join(lacking)))
    return problems


def check_lines(text: str) -> list[str]:
    """Columns and whitespace, one problem per line (1-based numbers)."""
    problems = []
    literal = False
    for number, line in enumerate(text.split('\n'), 1):
        if literal and line and not line[0].isspace():
            literal = False
        if '\r' in line:
            problems.append('%d: carriage return' % number)
            line = line.replace('\r', '')
        if line != line.rstrip():
            problems.append('%d: trailing whitespace' % number)
        if '\u200b' in line:
            problems.append('%d: zero-width space' % number)
        if len(line) > MAX_COLUMNS and not (
                literal or _exempt_from_width(line)):
            problems.append('%d: %d columns (at most %d)'
                            % (number, len(line), MAX_COLUMNS))
        if '::' in line:
            literal = True
    return problems


def _exempt_from_width(line: str) -> bool:
    return ('http://' in line or 'https://' in line
            or not re.search(r'\S\s+\S', line.strip()))


def check_rst(text: str, source: str) -> tuple[nodes.document, list[str]]:
    """The doctree, and docutils' warnings and errors as problems."""
    document = core.publish_doctree(
        text, source_path=source, settings_overrides={
            'report_level': 5, 'halt_level': 5,
            'syntax_highlight': 'none'})
    problems = ['%s: rst %s: %s' % (
        message.get('line', '?'), message['type'].lower(),
        message.children[0].astext() if message.children else '')
        for message in document.findall(nodes.system_message)
        if message['level'] >= WARNING_LEVEL]
    return document, problems


def check(text: str, source: str = '<spec>') -> list[str]:
    """Every problem of a spec's text; [] when it follows the rules."""
    document, problems = check_rst(text, source)
    return problems + check_titles(title_tree(document)) + check_lines(text)


def main(argv: list[str]) -> int:
    paths = argv or [SPEC]
    texts = {}
    for path in paths:
        try:
            with open(path, encoding='utf-8', newline='') as stream:
                texts[path] = stream.read()
        except (OSError, UnicodeDecodeError) as error:
            print('check_spec: cannot read %s: %s' % (
                path, getattr(error, 'strerror', None) or error),
                file=sys.stderr)
            return 2
    failed = False
    for path, text in texts.items():
        problems = check(text, path)
        for problem in problems:
            print('%s:%s' % (path, problem))
        print('%s: %s' % (path, 'FAILED, %d problem(s)' % len(problems)
                          if problems else 'follows the 2027.1 template'))
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
