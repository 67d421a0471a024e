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

"""The rules of the Nova series' commit messages, and who commits them.

Usage: tools/nova/series_messages.py [MESSAGE.txt ...]

Checks ``tools/nova/series/0N-*.txt`` (or the files given, the last one
being the series' last commit) against the rules Nova reviewers apply:

* a subject of at most 72 characters (about 50 where it reads well: the
  report prints each length), no trailing full stop, then a blank line;
* a body of at most 72 columns (a line with a URL may be longer), no
  trailing whitespace;
* a footer that ends with ``Partially-Implements: blueprint
  migration-state-machine``, or ``Implements: ...`` on the last commit;
* impact flags (``UpgradeImpact``, ``APIImpact``, ``DocImpact``,
  ``SecurityImpact``) alone on a line of the footer, each at most once;
* no ``Signed-off-by`` or ``Change-Id`` in the file: ``make-series.py``
  signs off with the author's identity, and Gerrit's hook adds the
  Change-Id;
* a commit that changes behaviour (``UpgradeImpact`` or ``APIImpact``)
  has a release note: ``NN-*.yaml`` beside its ``NN-*.txt``, which
  ``make-series.py`` copies to Nova's ``releasenotes/notes/``.

Prints one line per problem and exits 1 if there is any, 0 otherwise, 2
on bad input. ``author()`` finds who commits: ``--author``, else git's
``user.name`` and ``user.email``; never a made-up identity.
"""

import email.utils
import glob
import os
import re
import subprocess
import sys

SERIES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'series')
BLUEPRINT = 'blueprint migration-state-machine'
PARTIAL = 'Partially-Implements: ' + BLUEPRINT
COMPLETE = 'Implements: ' + BLUEPRINT
FLAGS = ('UpgradeImpact', 'APIImpact', 'DocImpact', 'SecurityImpact')
#: Flags of a change in behaviour: the commit needs a release note.
NOTE_FLAGS = ('UpgradeImpact', 'APIImpact')
SUBJECT_MAX = 72
SUBJECT_AIM = 50
BODY_MAX = 72


class NoAuthor(Exception):
    """No identity to commit with (one line)."""


def paths() -> list[str]:
    """The series' message files, in commit order."""
    return sorted(glob.glob(os.path.join(SERIES, '[0-9][0-9]-*.txt')))


def check(text: str, last: bool) -> list[str]:
    """Every problem of one message; [] when it follows the rules."""
    lines = text.rstrip('\n').split('\n')
    subject = lines[0]
    problems = []
    if not subject.strip():
        problems.append('empty subject')
    if len(subject) > SUBJECT_MAX:
        problems.append('subject of %d characters (at most %d)'
                        % (len(subject), SUBJECT_MAX))
    if subject.endswith('.'):
        problems.append('subject ends with a full stop')
    if len(lines) > 1 and lines[1]:
        problems.append('line 2 is not blank')
    for number, line in enumerate(lines[1:], 2):
        if line != line.rstrip():
            problems.append('line %d: trailing whitespace' % number)
        if len(line) > BODY_MAX and not re.search(r'https?://', line):
            problems.append('line %d: %d columns (at most %d)'
                            % (number, len(line), BODY_MAX))
        if re.match(r'(Signed-off-by|Change-Id):', line):
            problems.append('line %d: %s is added when committing, not '
                            'written in the message'
                            % (number, line.split(':')[0]))
    problems += _check_footer(lines, last)
    return problems


def _check_footer(lines: list[str], last: bool) -> list[str]:
    wanted, other = (COMPLETE, PARTIAL) if last else (PARTIAL, COMPLETE)
    problems = []
    if lines[-1] != wanted:
        problems.append('the last line must be "%s"' % wanted)
    if lines[-1] == wanted and other in lines:
        problems.append('"%s" belongs on %s' % (
            other, 'the last commit only' if not last else
            'every commit but the last'))
    footer = lines[_footer_start(lines):]
    for flag in FLAGS:
        where = [n for n, line in enumerate(lines) if flag in line]
        if len(where) > 1:
            problems.append('%s appears %d times' % (flag, len(where)))
        if where and flag not in footer:
            problems.append('%s must be a line of its own in the footer'
                            % flag)
    return problems


def _footer_start(lines: list[str]) -> int:
    """Index of the footer: the lines after the last blank line."""
    blanks = [n for n, line in enumerate(lines) if not line.strip()]
    return blanks[-1] + 1 if blanks else len(lines)


def flags(text: str) -> tuple[str, ...]:
    """The impact flags of a message, in FLAGS order."""
    lines = text.rstrip('\n').split('\n')
    footer = lines[_footer_start(lines):]
    return tuple(flag for flag in FLAGS if flag in footer)


def notes(path: str) -> list[str]:
    """The release notes of the commit whose message is PATH."""
    prefix = os.path.basename(path)[:3]
    return sorted(glob.glob(os.path.join(os.path.dirname(path),
                                         prefix + '*.yaml')))


def check_note(path: str, text: str) -> list[str]:
    """[] unless the message flags a behaviour change without a note."""
    wanted = [flag for flag in flags(text) if flag in NOTE_FLAGS]
    if not wanted or notes(path):
        return []
    return ['%s without a release note (%s*.yaml beside the message)'
            % (' and '.join(wanted), os.path.basename(path)[:3])]


def author(given: str | None, cwd: str) -> tuple[str, str]:
    """(name, email) from ``given`` ("Name <email>"), else git config."""
    if given:
        name, address = email.utils.parseaddr(given)
        if not name or '@' not in address:
            raise NoAuthor('--author must be "Name <email>", got %r'
                           % given)
        return name, address
    found = [subprocess.run(['git', 'config', key], cwd=cwd, text=True,
                            capture_output=True).stdout.strip()
             for key in ('user.name', 'user.email')]
    if not all(found):
        raise NoAuthor('no author: set git config user.name and '
                       'user.email, or pass --author "Name <email>"')
    return found[0], found[1]


def main(argv: list[str]) -> int:
    files = argv or paths()
    if not files:
        print('series_messages: no message in %s' % SERIES, file=sys.stderr)
        return 2
    failed = False
    for index, path in enumerate(files):
        try:
            with open(path, encoding='utf-8') as stream:
                text = stream.read()
        except (OSError, UnicodeDecodeError) as error:
            print('series_messages: cannot read %s: %s' % (
                path, getattr(error, 'strerror', None) or error),
                file=sys.stderr)
            return 2
        name = os.path.basename(path)
        problems = check(text, last=index == len(files) - 1)
        problems += check_note(path, text)
        for problem in problems:
            print('%s: %s' % (name, problem))
        subject = text.split('\n', 1)[0]
        print('%s: subject %d characters%s, flags: %s: %s' % (
            name, len(subject),
            ' (aim ~%d)' % SUBJECT_AIM if len(subject) > SUBJECT_AIM + 10
            else '', ', '.join(flags(text)) or 'none',
            'FAILED' if problems else 'ok'))
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
