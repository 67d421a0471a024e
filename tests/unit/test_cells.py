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

"""Every cell from Nova's config: an API database and two cells on SQLite.

The audit command and the upgrade check read ``[api_database]
connection``, list ``cell_mappings`` (cell0 included) and audit each
cell; expected counts come from the seeded rows (see ``test_audit``).
"""

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading

import fixtures
from oslo_config import cfg
from oslo_db import options as db_options
from oslo_upgradecheck import upgradecheck as oslo_upgradecheck
from oslo_utils import timeutils
import testtools

from nova_migration_sm.cmd import cli
from nova_migration_sm.operators import auditdb
from nova_migration_sm.operators import cells
from nova_migration_sm.operators import dburl
from nova_migration_sm.operators import upgradecheck
from nova_migration_sm.statuses import MigrationStatus as S
from nova_migration_sm.statuses import MigrationType as T
from tests.unit import deployments
from tests.unit.test_audit import DAY
from tests.unit.test_audit import Seeder

GOOD_ROWS = 83
"""Rows of ``Seeder().good()``."""
BAD_ROWS = 18
"""Rows of ``Seeder().bad()`` read (one more is soft-deleted)."""


class TestFormatDbUrl(testtools.TestCase):
    """Nova's CellMapping.format_db_url, written out case by case."""

    DEFAULT = 'mysql+pymysql://nova:s3cret@db.example:3306/nova?charset=utf8'

    def test_plain_url_is_kept(self):
        for default in (None, self.DEFAULT):
            self.assertEqual(
                'mysql+pymysql://nova:x@cell1/nova_cell1',
                cells.format_db_url('mysql+pymysql://nova:x@cell1/nova_cell1',
                                    default))

    def test_template_fills_in_from_database_connection(self):
        for template, expected in (
                ('{scheme}://{username}:{password}@{hostname}/nova_cell1',
                 'mysql+pymysql://nova:s3cret@db.example/nova_cell1'),
                ('{scheme}://{username}:{password}@{hostname}:{port}/'
                 '{path}_cell2?{query}',
                 'mysql+pymysql://nova:s3cret@db.example:3306/nova_cell2'
                 '?charset=utf8'),
                ('{scheme}://{username}@other/{path}',
                 'mysql+pymysql://nova@other/nova')):
            self.assertEqual(expected,
                             cells.format_db_url(template, self.DEFAULT))

    def test_hosts_of_a_multi_host_url_are_numbered(self):
        default = 'mysql+pymysql://a:1@h1:3306,b:2@h2:3307/nova'
        self.assertEqual(
            'mysql+pymysql://b:2@h2:3307/nova_cell1',
            cells.format_db_url('{scheme}://{username2}:{password2}@'
                                '{hostname2}:{port2}/nova_cell1', default))

    def test_template_without_database_connection(self):
        error = self.assertRaises(cells.dburl.CannotCheck,
                                  cells.format_db_url,
                                  '{scheme}://nova@db/nova_cell1', None)
        self.assertEqual("database_connection '{scheme}://nova@db/nova_cell1'"
                         " is a template, but [database] connection is not "
                         "set", str(error))

    def test_template_that_does_not_fill_in(self):
        error = self.assertRaises(cells.dburl.CannotCheck,
                                  cells.format_db_url,
                                  '{scheme}://{host}/nova_cell1', self.DEFAULT)
        self.assertEqual("database_connection '{scheme}://{host}/nova_cell1' "
                         "does not fill in from [database] connection: "
                         "KeyError: 'host'", str(error))


class Deployment(fixtures.Fixture):
    """API database, cell0 (empty), cell1 and cell2 in SQLite files.

    cell1 is a template filled in from ``[database] connection``, as
    ``nova-manage cell_v2`` allows.
    """

    def __init__(self, cell1: Seeder, cell2: Seeder) -> None:
        super().__init__()
        self.seeders = {'cell0': Seeder(timeutils.utcnow()),
                        'cell1': cell1, 'cell2': cell2}

    def _setUp(self) -> None:
        self.path = self.useFixture(fixtures.TempDir()).path
        for name, seeder in self.seeders.items():
            deployments.cell_database(self.url(name), seeder)
        deployments.api_database(self.url('api'), (
            (deployments.CELL0_UUID, 'cell0', self.url('cell0')),
            (deployments.CELL1_UUID, 'cell1',
             '{scheme}:///%s' % os.path.join(self.path, 'cell1.sqlite')),
            (deployments.CELL2_UUID, 'cell2', self.url('cell2'))))
        self.conf = deployments.nova_conf(
            os.path.join(self.path, 'nova.conf'), self.url('api'),
            self.url('cell1'))

    def url(self, name: str) -> str:
        return 'sqlite:///%s' % os.path.join(self.path, name + '.sqlite')


def captured(test: testtools.TestCase, main, argv) -> tuple[int, str, str]:
    """``(exit status, stdout, stderr)`` of ``main(argv)``."""
    out = io.StringIO()
    err = io.StringIO()
    test.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
    test.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
    code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def run_cli(test: testtools.TestCase, *argv) -> tuple[int, str, str]:
    return captured(test, cli.main, argv)


CELL3_UUID = '33333333-3333-4333-8333-333333333333'


class TestAuditEveryCell(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.now = timeutils.utcnow()

    def test_one_cell_breaks(self):
        deployment = self.useFixture(Deployment(
            Seeder(self.now).good(), Seeder(self.now).good().bad()))
        code, out, err = run_cli(self, 'audit', '--config-file',
                                 deployment.conf, '--format', 'json')
        self.assertEqual(1, code)
        self.assertEqual('', err)
        data = json.loads(out)
        self.assertEqual(
            [('cell0', deployments.CELL0_UUID, deployment.url('cell0'), 0, 0),
             ('cell1', deployments.CELL1_UUID, deployment.url('cell1'),
              GOOD_ROWS, 0),
             ('cell2', deployments.CELL2_UUID, deployment.url('cell2'),
              GOOD_ROWS + BAD_ROWS, 8)],
            [(d['name'], d['uuid'], d['database'], d['report']['rows'],
              d['report']['breaking_under_strict'])
             for d in data['databases']])
        self.assertEqual({'databases': 3, 'not_checked': 0, 'shared': 0,
                          'rows': 2 * GOOD_ROWS + BAD_ROWS,
                          'breaking_under_strict': 8, 'stuck': 6,
                          'done_evacuations': 3}, data['total'])
        self.assertEqual(1, data['exit_status'])

    def test_table_per_cell_and_total(self):
        deployment = self.useFixture(Deployment(
            Seeder(self.now).good(), Seeder(self.now).good().bad()))
        code, out, _ = run_cli(self, 'audit', '--config-file',
                               deployment.conf)
        self.assertEqual(1, code)
        lines = out.splitlines()
        self.assertEqual(
            ['== Cell cell0 (%s), %s ==' % (deployments.CELL0_UUID,
                                            deployment.url('cell0')),
             '== Cell cell1 (%s), %s ==' % (deployments.CELL1_UUID,
                                            deployment.url('cell1')),
             '== Cell cell2 (%s), %s ==' % (deployments.CELL2_UUID,
                                            deployment.url('cell2'))],
            [line for line in lines if line.startswith('== Cell')])
        self.assertEqual(
            ['TOTAL: 3 of 3 cells checked, 184 rows read; 8 would break '
             'under strict, 6 stuck, 3 done evacuations waiting.',
             'RESULT: 8 rows would break under [migration_state_machine] '
             'enforcement = strict; fix them or keep enforcement = warn.'],
            lines[-2:])

    def test_clean_cells_exit_zero(self):
        stuck = Seeder(self.now).good()
        stuck.add(T.RESIZE, S.MIGRATING, age=30 * DAY, resize=True)
        deployment = self.useFixture(Deployment(Seeder(self.now).good(),
                                                stuck))
        code, out, _ = run_cli(self, 'audit', '--config-file',
                               deployment.conf)
        self.assertEqual(0, code)
        self.assertIn('TOTAL: 3 of 3 cells checked, 167 rows read; 0 would '
                      'break under strict, 1 stuck, 0 done evacuations '
                      'waiting.', out)

    def test_a_cell_that_cannot_be_read_wins(self):
        deployment = self.useFixture(Deployment(
            Seeder(self.now).good(), Seeder(self.now).good().bad()))
        os.unlink(deployment.url('cell1')[len('sqlite:///'):])
        code, out, err = run_cli(self, 'audit', '--config-file',
                                 deployment.conf)
        self.assertEqual(2, code)
        self.assertIn('NOT CHECKED: %s: no such SQLite file'
                      % deployment.url('cell1'), out)
        self.assertEqual('nova-migration-sm audit: 1 of 3 cells not checked: '
                         'cell cell1: %s: no such SQLite file\n'
                         % deployment.url('cell1'), err)
        self.assertFalse(os.path.exists(
            deployment.url('cell1')[len('sqlite:///'):]))

    def test_config_files_are_read_in_order(self):
        deployment = self.useFixture(Deployment(Seeder(self.now).good(),
                                                Seeder(self.now).good()))
        wrong = deployments.nova_conf(
            os.path.join(deployment.path, 'wrong.conf'),
            api=deployment.url('missing-api'))
        code, _, _ = run_cli(self, 'audit', '--config-file', wrong,
                             '--config-file', deployment.conf)
        self.assertEqual(0, code)
        code, _, err = run_cli(self, 'audit', '--config-file',
                               deployment.conf, '--config-file', wrong)
        self.assertEqual(2, code)
        self.assertIn('missing-api.sqlite: no such SQLite file', err)

    def test_config_dir(self):
        deployment = self.useFixture(Deployment(Seeder(self.now).good(),
                                                Seeder(self.now).good()))
        directory = os.path.join(deployment.path, 'nova.conf.d')
        os.mkdir(directory)
        os.rename(deployment.conf, os.path.join(directory, '50-db.conf'))
        code, out, _ = run_cli(self, 'audit', '--config-dir', directory)
        self.assertEqual(0, code)
        self.assertIn('TOTAL: 3 of 3 cells checked', out)

    def test_cells_sharing_a_database_are_audited_once(self):
        # cell1 and cell3 name one file, by two spellings of its path:
        # its 8 rows that break are counted once, and both outputs say so.
        deployment = self.useFixture(Deployment(
            Seeder(self.now).good().bad(), Seeder(self.now).good()))
        again = os.path.join(deployment.path, '.', 'cell1.sqlite')
        deployments.api_database(deployment.url('api-shared'), (
            (deployments.CELL1_UUID, 'cell1', deployment.url('cell1')),
            (deployments.CELL2_UUID, 'cell2', deployment.url('cell2')),
            (CELL3_UUID, 'cell3', 'sqlite:///' + again)))
        conf = deployments.nova_conf(os.path.join(
            deployment.path, 'shared.conf'), deployment.url('api-shared'))
        code, out, err = run_cli(self, 'audit', '--config-file', conf)
        self.assertEqual((1, ''), (code, err))
        self.assertIn('== Cell cell3 (%s), sqlite:///%s ==\nThe same '
                      'database as cell cell1: audited once, there.\n'
                      % (CELL3_UUID, again), out)
        self.assertIn('TOTAL: 3 of 3 cells checked, %d rows read; 8 would '
                      'break under strict' % (2 * GOOD_ROWS + BAD_ROWS), out)
        self.assertIn('SHARED: cell cell3 uses the database of cell cell1; '
                      'each database was audited once.', out)
        code, out, _ = run_cli(self, 'audit', '--config-file', conf,
                               '--format', 'json')
        data = json.loads(out)
        self.assertEqual([None, None, 'cell1'], [
            d['shared_with'] for d in data['databases']])
        self.assertEqual([True, True, False], [
            d['checked'] for d in data['databases']])
        self.assertEqual((3, 0, 1, 8), (
            data['total']['databases'], data['total']['not_checked'],
            data['total']['shared'], data['total']['breaking_under_strict']))
        self.assertEqual(1, data['exit_status'])
        # The upgrade check says so too, and counts the 8 rows once.
        code, out, _ = captured(self, upgradecheck.main, (
            '--config-file', conf, 'upgrade', 'check', '--json'))
        details = json.loads(out)['checks'][0]['details']
        self.assertEqual(1, code)
        self.assertIn('cell3: the same database as cell1, checked once '
                      'there.', details)
        self.assertIn('8 rows would break under it', details)
        self.assertNotIn('could not be checked', details)

    def test_cells_are_audited_concurrently(self):
        # Each cell is read on a thread of its own, at the same time: a
        # barrier that every cell must reach before any goes on.
        deployment = self.useFixture(Deployment(
            Seeder(self.now).good(), Seeder(self.now).good().bad()))
        barrier = threading.Barrier(3, timeout=30)
        threads = set()
        audit_table = auditdb.audit_table

        def meeting(*args, **kwargs):
            threads.add(threading.current_thread().name)
            barrier.wait()
            return audit_table(*args, **kwargs)

        self.useFixture(fixtures.MonkeyPatch(
            'nova_migration_sm.operators.auditdb.audit_table', meeting))
        code, out, _ = run_cli(self, 'audit', '--config-file',
                               deployment.conf)
        self.assertEqual(1, code)
        self.assertEqual(3, len(threads))
        self.assertIn('TOTAL: 3 of 3 cells checked', out)

    def test_password_never_shown(self):
        api = 'postgresql+psycopg2://nova:pa$$word@127.0.0.1:1/nova_api'
        conf = deployments.nova_conf(os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'nova.conf'), api)
        code, out, err = run_cli(self, 'audit', '--config-file', conf)
        self.assertEqual(2, code)
        self.assertEqual('', out)
        self.assertNotIn('pa$$word', err)
        self.assertTrue(err.startswith(
            'nova-migration-sm audit: postgresql+psycopg2://nova:***@'
            '127.0.0.1:1/nova_api: cannot connect: '), err)


class TestStoppedBySignals(testtools.TestCase):

    def test_sigterm_while_every_cell_is_read(self):
        # Two cells on a server that accepts connections and never
        # answers: the audit connects to both at once, then SIGTERM.
        listener = socket.socket()
        self.addCleanup(listener.close)
        listener.bind(('127.0.0.1', 0))
        listener.listen(8)
        listener.settimeout(60)
        url = 'postgresql+psycopg2://nova:secret@127.0.0.1:%d/%%s' % (
            listener.getsockname()[1])
        path = self.useFixture(fixtures.TempDir()).path
        api = 'sqlite:///%s' % os.path.join(path, 'api.sqlite')
        deployments.api_database(api, (
            (deployments.CELL1_UUID, 'cell1', url % 'cell1'),
            (deployments.CELL2_UUID, 'cell2', url % 'cell2')))
        conf = deployments.nova_conf(os.path.join(path, 'nova.conf'), api)
        process = subprocess.Popen(
            [sys.executable, '-m', 'nova_migration_sm.cmd.cli', 'audit',
             '--config-file', conf], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.addCleanup(process.kill)
        for _ in range(2):
            self.addCleanup(listener.accept()[0].close)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
        self.assertEqual(('', 'nova-migration-sm audit: interrupted by '
                          'SIGTERM; nothing was concluded\n', 143),
                         (out, err, process.returncode))


class TestUpgradeCheckEveryCell(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.now = timeutils.utcnow()

    def _main(self, *argv) -> tuple[int, str, str]:
        return captured(self, upgradecheck.main, argv)

    def _json(self, conf: str) -> tuple[int, dict]:
        code, out, err = self._main('--config-file', conf, 'upgrade',
                                    'check', '--json')
        self.assertEqual('', err)
        check, = json.loads(out)['checks']
        self.assertEqual(upgradecheck.NAME, check['check'])
        self.assertEqual(code, check['result'])
        return code, check

    def test_success_warning_failure(self):
        stuck = Seeder(self.now).good()
        stuck.add(T.RESIZE, S.MIGRATING, age=30 * DAY, resize=True)
        for cell2, code, verdict, details in (
                (Seeder(self.now).good(), 0,
                 'Strict is safe to turn on now: no row would break under '
                 'it.', 'Checked 3 of 3 databases (cell0, cell1, cell2): '
                 '166 rows. To do: Set enforcement = strict once'),
                (stuck, 1, 'Strict is safe to turn on now',
                 'Checked 3 of 3 databases (cell0, cell1, cell2): 167 rows. '
                 'cell2: 1 migrations not terminal'),
                (Seeder(self.now).good().bad(), 1,
                 'Strict is not safe to turn on yet: 8 rows would break '
                 'under it.', 'Checked 3 of 3 databases (cell0, cell1, '
                 'cell2): 184 rows. cell2: 8 rows would break under strict')):
            deployment = self.useFixture(Deployment(Seeder(self.now).good(),
                                                    cell2))
            found, check = self._json(deployment.conf)
            self.assertEqual(code, found)
            self.assertTrue(check['details'].startswith(verdict),
                            check['details'])
            self.assertIn(details, check['details'])

    def test_no_database_configured_is_a_failure(self):
        conf = deployments.nova_conf(os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'nova.conf'))
        code, check = self._json(conf)
        self.assertEqual(oslo_upgradecheck.Code.FAILURE, code)
        self.assertEqual('nothing was checked: [api_database] connection is '
                         'not set in %s.' % conf, check['details'])

    def test_config_file_after_upgrade_check(self):
        deployment = self.useFixture(Deployment(Seeder(self.now).good(),
                                                Seeder(self.now).good()))
        code, out, err = self._main('upgrade', 'check', '--config-file',
                                    deployment.conf)
        self.assertEqual(2, code)
        self.assertEqual('', out)
        self.assertEqual(
            'python -m nova_migration_sm.operators.upgradecheck: error: '
            'unrecognized arguments: --config-file %s (global options such as '
            "--config-file go before 'upgrade check')\n" % deployment.conf,
            err)

    def test_table_output(self):
        deployment = self.useFixture(Deployment(Seeder(self.now).good(),
                                                Seeder(self.now).good()))
        code, out, _ = self._main('--config-file', deployment.conf,
                                  'upgrade', 'check')
        self.assertEqual(0, code)
        self.assertIn('| Check: Migration statuses', out)
        self.assertIn('| Result: Success', out)

    def test_inside_nova_status(self):
        # nova-status's CONF already has oslo.db's [database] options and
        # Nova's [api_database] ones; the check reads them as they are.
        deployment = self.useFixture(Deployment(Seeder(self.now).good(),
                                                Seeder(self.now).good()))
        conf = cfg.ConfigOpts()
        db_options.set_defaults(conf)
        conf.register_opts(db_options.database_opts, group='api_database')
        conf(args=['--config-file', deployment.conf], project='nova')
        checks = upgradecheck.MigrationStateMachineChecks(conf=conf)
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', io.StringIO()))
        self.assertEqual(oslo_upgradecheck.Code.SUCCESS, checks.check())
        result = checks._check_migration_statuses()
        self.assertEqual(
            'Strict is safe to turn on now: no row would break under it. '
            '[migration_state_machine] enforcement = warn. Checked 3 of 3 '
            'databases (cell0, cell1, cell2): 166 rows. To do: Set '
            "enforcement = strict once the services' logs hold no "
            '"Migration status check failed" warning.', result.details)


class TestUrls(testtools.TestCase):

    def test_redact(self):
        for text, expected in (
                ('mysql+pymysql://nova:s3cret@db/nova',
                 'mysql+pymysql://nova:***@db/nova'),
                ("cannot reach 'postgresql://u:p%40ss@h:5432/d'",
                 "cannot reach 'postgresql://u:***@h:5432/d'"),
                ('nova:secret@db/nova', 'nova:***@db/nova'),
                ('sqlite:////var/lib/nova/nova.sqlite',
                 'sqlite:////var/lib/nova/nova.sqlite'),
                ("'confirmed' -> 'migrating'", "'confirmed' -> 'migrating'")):
            self.assertEqual(expected, dburl.redact(text))

    def test_parse_refuses_what_is_no_url(self):
        for text in ('', 'nova', '/var/lib/nova/nova.sqlite', 'nova:x@db'):
            error = self.assertRaises(dburl.CannotCheck, dburl.parse, text)
            self.assertIn('is not a database URL', str(error))
            self.assertNotIn(':x@', str(error))
