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

"""Test outcomes from a subunit v2 stream, checked against the listed ids.

A stestr run that was killed leaves tests that started and never finished
(``inprogress``) and tests that never started. Both count as failed here,
unless a later attempt ran them: :func:`merge` lets a re-run's outcome
replace the first pass's for the ids it ran, so the counts tell what the
run as a whole found.

Scenario tests report ids such as ``...test_get_migrations_v2_23(v2_23)``
while ``stestr list`` and ``--load-list`` use the id without the suffix;
:func:`base_id` strips it wherever reported and listed ids are compared.
"""

import collections
import re

PASSED = 'passed'
FAILED = 'failed'
SKIPPED = 'skipped'
UNFINISHED = 'started, never finished'
DID_NOT_RUN = 'did not run'

_PASS = ('success', 'xfail')
_SKIP = ('skip',)
_NOT_OVER = ('exists', 'inprogress', None, 'unknown')
_SCENARIO = re.compile(r'\([^()]*\)$')


def base_id(test_id: str) -> str:
    """The id ``stestr list`` gives: any ``(scenario)`` suffix stripped."""
    return _SCENARIO.sub('', test_id)


def read_stream(path: str) -> dict[str, str]:
    """``{reported test id: last subunit status}`` of a subunit v2 file.

    Bytes that are not subunit (a worker's stray output) are ignored; a
    stream cut short by a kill yields what it holds up to the cut.
    """
    import subunit
    import testtools

    class _Statuses(testtools.StreamResult):
        def __init__(self):
            super().__init__()
            self.found: dict[str, str] = {}

        def status(self, test_id=None, test_status=None, **kwargs):
            if test_id and test_status:
                self.found[test_id] = test_status

    result = _Statuses()
    with open(path, 'rb') as stream:
        subunit.ByteStreamToStreamResult(
            stream, non_subunit_name='stdout').run(result)
    return result.found


def outcomes(listed: list[str], reported: dict[str, str]) -> dict[str, str]:
    """``{test id: outcome}`` for one attempt at the ``listed`` ids.

    Every reported id keeps its own entry (one per scenario); a listed id
    no reported id stands for is ``did not run``, and one that started
    and never finished is ``started, never finished``.
    """
    found: dict[str, str] = {}
    for test_id, status in reported.items():
        if status in _PASS:
            found[test_id] = PASSED
        elif status in _SKIP:
            found[test_id] = SKIPPED
        elif status == 'inprogress':
            found[test_id] = UNFINISHED
        elif status in _NOT_OVER:
            continue
        else:
            found[test_id] = FAILED
    seen = {base_id(test_id) for test_id in found}
    for test_id in listed:
        if test_id not in seen:
            found[test_id] = DID_NOT_RUN
    return found


def left_unrun(found: dict[str, str]) -> list[str]:
    """The ids (as listed) a killed attempt left to run again.

    A test that ran and failed is never among them: only a re-run of
    what a hung worker kept from running can change the verdict.
    """
    return sorted({base_id(test_id) for test_id, outcome in found.items()
                   if outcome in (UNFINISHED, DID_NOT_RUN)})


def merge(first: dict[str, str], rerun: dict[str, str]) -> dict[str, str]:
    """The first attempt's outcomes, with the re-run's for what it ran."""
    rerun_ids = {base_id(test_id) for test_id in rerun}
    merged = {test_id: outcome for test_id, outcome in first.items()
              if base_id(test_id) not in rerun_ids}
    merged.update(rerun)
    return merged


def is_failure(outcome: str) -> bool:
    """Whether an outcome counts as failed."""
    return outcome not in (PASSED, SKIPPED)


def counts(found: dict[str, str]) -> dict[str, int]:
    """``passed``, ``failed`` and ``skipped`` over a set of outcomes."""
    tally = collections.Counter(
        FAILED if is_failure(outcome) else outcome
        for outcome in found.values())
    return {key: tally[key] for key in (PASSED, FAILED, SKIPPED)}


def failing(found: dict[str, str]) -> list[str]:
    """``id  [outcome]`` for every failure, sorted."""
    return ['%s  [%s]' % (test_id, outcome)
            for test_id, outcome in sorted(found.items())
            if is_failure(outcome)]
