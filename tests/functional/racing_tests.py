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

"""The racing-writers tests, once, for any ``Migration`` and database.

A test class mixes :class:`RacingWritersTests` into its ``TestCase`` and
says where the rows live (:meth:`~RacingWritersTests.racing_target`) and
how one is created (:meth:`~RacingWritersTests.new_row`):
``tests/functional/test_concurrency.py`` for the reference objects,
``tests/nova/test_drop_in.py`` for Nova's.
"""

import dataclasses
import pprint

import sqlalchemy as sa
from testtools import content

from tests.functional import figures as figures_file
from tests.functional import galera
from tests.functional import history
from tests.functional import racing

WRITERS = 4
ROUNDS = 192
MUTATION_ROUNDS = 48
# NOTE: evacuations and cross-cell moves twice: their machines have races.
KINDS = (('resize', False), ('migration', True), ('live-migration', False),
         ('evacuation', False), ('evacuation', False), ('resize', True))
ROWS_PER_KIND = 4
MUTATION_ROWS_PER_KIND = 2
MUST_BE_ZERO = ('illegal_persisted', 'lost_updates', 'unacknowledged_writes',
                'wrong_outcomes', 'broken_histories', 'errors')


@dataclasses.dataclass(frozen=True)
class Target:
    """Where the raced rows live."""

    suite: str
    """``library`` or ``nova``: the figures' first column."""
    backend: str
    db_url: str
    table: sa.Table
    """The ``migrations`` table (the history trigger's)."""
    writers_module: str
    """See :attr:`tests.functional.racing.Plan.writers_module`."""
    node_urls: tuple[str, ...] = ()
    """Galera: the database on each node (``db_url`` is one of them);
    see :attr:`tests.functional.racing.Plan.node_urls`."""


class RacingWritersTests:
    """Mix into a ``TestCase``; implement the two methods below."""

    def racing_target(self) -> Target:
        """Where the rows live (the test's own database)."""
        raise NotImplementedError

    def new_row(self, migration_type: str, cross_cell: bool) -> int:
        """The id of a new migration, in its initial status.

        Created with ``dest_host=racing.CREATED_TAG`` and
        ``memory_processed=0``, as the history judge expects.
        """
        raise NotImplementedError

    def race(self, mutation=None, rounds=ROUNDS,
             rows_per_kind=ROWS_PER_KIND) -> racing.Report:
        """Race the writers on new rows; the judged history."""
        target = self.racing_target()
        if target.node_urls:
            engine = galera.causal_engine(target.db_url)
        else:
            engine = sa.create_engine(target.db_url,
                                      poolclass=sa.pool.NullPool)
        self.addCleanup(engine.dispose)
        if not sa.inspect(engine).has_table(history.TABLE):
            history.install(engine)
        rows = tuple(racing.Row(self.new_row(kind, cross_cell), kind,
                                cross_cell)
                     for kind, cross_cell in KINDS * rows_per_kind)
        writers = WRITERS
        if target.node_urls:
            # NOTE: two writers per node, and half the rounds: each
            # certification failure sleeps in oslo.db's deadlock retry (1 s,
            # then up to 2 s, 4 s...), which keeps a Galera run to minutes.
            writers, rounds = 2 * len(target.node_urls), rounds // 2
            galera.wait_synced(target.node_urls)
            aborted = galera.certification_failures(target.node_urls)
        plan = racing.Plan(target.writers_module, target.db_url, rows,
                           rounds, mutation, node_urls=target.node_urls)
        attempts = racing.run_writers(plan, writers)
        entries, final = racing.read_history(engine, rows, target.table)
        report = racing.judge_history(rows, entries, attempts, final,
                                      writers)
        report.rounds = rounds
        if target.node_urls:
            report.certification_failures = galera.certification_failures(
                target.node_urls) - aborted
        figures = dict(report.figures(), suite=target.suite,
                       check=mutation or 'on', backend=target.backend,
                       transport='processes', test=self.id())
        figures_file.record(**figures)
        self.addDetail('figures', content.json_content(figures))
        self.addDetail('problems', content.text_content(
            pprint.pformat(report.problems)))
        print('racing writers %s %s %s: %s' % (
            target.suite, target.backend, mutation or 'check on',
            report.figures()))
        return report

    def test_history_holds_only_machine_moves(self):
        report = self.race()
        self.assertEqual([], report.problems)
        for figure in MUST_BE_ZERO:
            self.assertEqual(0, getattr(report, figure), figure)
        self.assertEqual(report.writers * report.rounds, report.attempts)
        # The writers raced: each outcome happened.
        self.assertGreater(report.written, 0)
        self.assertGreater(report.refused, 0)
        self.assertGreater(report.conflicts, 0)

    def test_mutation_check_off_persists_illegal_moves(self):
        report = self.race('check-off', MUTATION_ROUNDS,
                           MUTATION_ROWS_PER_KIND)
        self.assertGreater(report.illegal_persisted, 0)
        self.assertEqual(0, report.refused + report.conflicts)

    def test_mutation_blind_write_persists_illegal_moves(self):
        report = self.race('cas-off', MUTATION_ROUNDS,
                           MUTATION_ROWS_PER_KIND)
        self.assertGreater(report.illegal_persisted, 0)

    def test_mutation_lying_write_loses_updates(self):
        report = self.race('cas-lies', MUTATION_ROUNDS,
                           MUTATION_ROWS_PER_KIND)
        self.assertGreater(report.lost_updates, 0)
