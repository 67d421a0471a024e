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

"""The machines transcribed a second time, by hand: the tests' expectations.

Every edge of every machine, transcribed independently from the Nova
34.0.0 study (section 9) and Nova's code in plain strings, and the save
rule of issue 10 written again naively (:func:`expected_judgement`). The
tests compare the code under test with this module, never with tables
derived from ``definitions.py``, so a typo there cannot hide: a wrong edge
in the definitions fails ``tests/unit/test_machines.py``, the diagrams'
and the CLI's tests, the property tests and the racing writers' judge.
Only the outcome classes are the library's (``exceptions``).
"""

from nova_migration_sm import exceptions


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
reverting -> error
""")
COLD_SAME_CELL_LATE = _pairs("""
confirmed -> error
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
reverting -> error
pre-migrating -> finished
finished -> confirming
confirming -> confirmed
finished -> confirmed
finished -> reverting
finished -> error
confirming -> error
""")
COLD_CROSS_CELL_LATE = _pairs("""
confirmed -> error
reverted -> error
error -> failed
""")
COLD_CROSS_CELL_RACES = _pairs("""
migrating -> error
post-migrating -> error
reverted -> error
""")

LIVE = _pairs("""
accepted -> queued
accepted -> error
accepted -> failed
queued -> preparing
queued -> cancelled
queued -> error
preparing -> running
preparing -> cancelled
preparing -> error
running -> running (post-copy)
running -> completed
running -> failed
running -> cancelled
running -> error
running (post-copy) -> completed
running (post-copy) -> failed
running (post-copy) -> error
""")
LIVE_LATE = _pairs("""
failed -> error
error -> failed
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
""")
EVACUATION_LATE = _pairs("""
error -> failed
""")
EVACUATION_RACES = _pairs("""
completed -> done
completed -> pre-migrating
completed -> failed
completed -> error
""")

NONE = frozenset()
EXPECTED = {
    ('migration', False): (COLD_SAME_CELL | COLD_SAME_CELL_LATE, NONE,
                           {'pre-migrating'},
                           {'confirmed', 'reverted', 'error', 'failed'}),
    ('resize', False): (COLD_SAME_CELL | COLD_SAME_CELL_LATE, NONE,
                        {'pre-migrating'},
                        {'confirmed', 'reverted', 'error', 'failed'}),
    ('migration', True): (COLD_CROSS_CELL | COLD_CROSS_CELL_LATE,
                          COLD_CROSS_CELL_RACES, {'pre-migrating'},
                          {'confirmed', 'reverted', 'error', 'failed'}),
    ('resize', True): (COLD_CROSS_CELL | COLD_CROSS_CELL_LATE,
                       COLD_CROSS_CELL_RACES, {'pre-migrating'},
                       {'confirmed', 'reverted', 'error', 'failed'}),
    ('live-migration', False): (LIVE | LIVE_LATE, NONE, {'accepted'},
                                {'completed', 'failed', 'cancelled',
                                 'error'}),
    ('live-migration', True): (LIVE | LIVE_LATE, NONE, {'accepted'},
                               {'completed', 'failed', 'cancelled',
                                'error'}),
    ('evacuation', False): (EVACUATION | EVACUATION_LATE, EVACUATION_RACES,
                            {'accepted', 'pre-migrating'},
                            {'completed', 'failed', 'error'}),
    ('evacuation', True): (EVACUATION | EVACUATION_LATE, EVACUATION_RACES,
                           {'accepted', 'pre-migrating'},
                           {'completed', 'failed', 'error'}),
}
"""``(type, cross_cell): (lifecycle, races, initial, terminal)``: the
lifecycle with its late edges, and the races, as ``(from, to)`` pairs."""
ALL = ('accepted', 'pre-migrating', 'migrating', 'post-migrating', 'finished',
       'confirming', 'confirmed', 'reverting', 'reverted', 'error', 'failed',
       'done', 'completed', 'queued', 'preparing', 'running',
       'running (post-copy)', 'cancelled')
"""The 18 statuses in the order of the enum's valid values (the fingerprint
order of ``nova_migration_sm.statuses``; append, never reorder)."""
UNKNOWN = '?'
"""What a writer that never saw the status saw (``machines.UNKNOWN``)."""


def expected_judgement(key, seen, persisted, to, detect_stale):
    """The rule of issue 10, written again from its text, naively."""
    lifecycle, races, initial, _ = EXPECTED[key]
    states = {s for edge in lifecycle for s in edge}

    def fresh(src, dst):
        if src is None:
            return dst in initial
        return (src, dst) in lifecycle or (src == dst and src in states)

    if seen == UNKNOWN:
        if fresh(persisted, to):
            return 'same-value' if persisted == to else 'lifecycle'
        if (persisted, to) in races:
            return 'race'
        return exceptions.InvalidMigrationStatusTransition
    if not fresh(seen, to):
        return exceptions.InvalidMigrationStatusTransition
    if seen == persisted:
        if seen is None:
            return 'create'
        return 'same-value' if seen == to else 'lifecycle'
    if detect_stale:
        return exceptions.MigrationStatusConflict
    if persisted == to:
        return 'same-value'
    if (persisted, to) in races:
        return 'race'
    return exceptions.MigrationStatusConflict


ERRORS = {'error', 'failed'}
"""Where a legacy row (a status its type cannot hold) may still go."""


def expected_write_condition(key, seen, persisted, to, detect_stale):
    """The save rule of issue 20, written again naively.

    ``(outcome, expected statuses as a set)`` or the exception class.
    """
    lifecycle, races, _, _ = EXPECTED[key]
    states = {s for edge in lifecycle for s in edge}
    if persisted == UNKNOWN:
        if seen != UNKNOWN:
            return ValueError
        starts = {src for src, dst in lifecycle | races if dst == to}
        return 'allowed', (starts | {to}) if to in states else set()
    if persisted not in states:  # a legacy row, NULL included
        if to == persisted:
            return 'same-value', {persisted}
        if to in ERRORS & states:
            return 'lifecycle', {persisted}
        return exceptions.InvalidMigrationStatusTransition
    if seen is None:  # a NULL row since moved on: nothing starts at NULL
        return exceptions.InvalidMigrationStatusTransition
    judged = expected_judgement(key, seen, persisted, to, detect_stale)
    if isinstance(judged, str):
        return judged, {persisted}
    return judged


def expected_creation(key, to):
    """A record is created in an initial status, with no row to match."""
    _, _, initial, _ = EXPECTED[key]
    if to in initial:
        return 'create', set()
    return exceptions.InvalidMigrationStatusTransition
