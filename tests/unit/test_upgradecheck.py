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

"""The upgrade check's verdict, its config mistakes and its interrupts.

Each expected result is written out here from what the check must say:
whether strict is safe to turn on now and why, ``done`` evacuations
waiting for their source compute as information (Nova completes them in
``ComputeManager._destroy_evacuated_instances``), and a Warning for
those whose source host has no nova-compute service left in the cell.
Times are shown as ``T``.
"""

import errno
import io
import os
import re
import signal
import time
from unittest import mock

import fixtures
from oslo_config import cfg
from oslo_db import options as db_options
from oslo_upgradecheck import upgradecheck as oslo_upgradecheck
from oslo_utils import timeutils
import testtools

from nova_migration_sm.operators import upgradecheck
from nova_migration_sm.statuses import MigrationStatus as S
from nova_migration_sm.statuses import MigrationType as T
from tests.unit import deployments
from tests.unit.test_audit import DAY
from tests.unit.test_audit import Seeder
from tests.unit.test_cells import captured
from tests.unit.test_cells import Deployment

Code = oslo_upgradecheck.Code
SAFE = ('Strict is safe to turn on now: no row would break under it. '
        '[migration_state_machine] enforcement = warn. Checked 3 of 3 '
        'databases (cell0, cell1, cell2): 169 rows. ')
WAITING = ('it completes them then (nova/compute/manager.py, '
           'ComputeManager._destroy_evacuated_instances)')
NEXT = ("To do: Set enforcement = strict once the services' logs hold no "
        '"Migration status check failed" warning.')


def nova_status_conf(path: str) -> cfg.ConfigOpts:
    """``nova-status``'s CONF: parsed before the library's options exist."""
    conf = cfg.ConfigOpts()
    db_options.set_defaults(conf)
    conf.register_opts(db_options.database_opts, group='api_database')
    conf(args=['--config-file', path], project='nova')
    return conf


class CheckCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.now = timeutils.utcnow()

    def deployment(self, cell2: Seeder, options: str = '',
                   services=None) -> Deployment:
        """A deployment whose cell1 is clean.

        ``options`` go under ``[migration_state_machine]``; ``services``
        into cell2 (None: no ``services`` table).
        """
        deployment = self.useFixture(Deployment(Seeder(self.now).good(),
                                                cell2))
        if options:
            with open(deployment.conf, 'a') as out:
                out.write('[migration_state_machine]\n%s\n' % options)
        if services is not None:
            deployments.services(deployment.url('cell2'), services)
        return deployment

    def check(self, deployment: Deployment) -> oslo_upgradecheck.Result:
        """The check as nova-status runs it: ``check_config(CONF)``."""
        result = upgradecheck.check_config(nova_status_conf(deployment.conf))
        result.details = re.sub(r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d', 'T',
                                result.details).replace(
                                    deployment.conf, 'nova.conf')
        return result

    def evacuated(self) -> Seeder:
        """A healthy cell, and evacuations done 30 days ago."""
        cell = Seeder(self.now).good()
        cell.add(T.EVACUATION, S.DONE, age=30 * DAY, source='compute-7')
        cell.add(T.EVACUATION, S.DONE, age=31 * DAY, source='compute-7')
        cell.add(T.EVACUATION, S.DONE, age=32 * DAY, source='compute-8')
        return cell


class TestEvacuations(CheckCase):

    def test_waiting_evacuations_are_information(self):
        # Issue 18: a healthy cloud whose only notes are evacuations
        # waiting for their source compute is a Success.
        deployment = self.deployment(self.evacuated(), services=[
            ('compute-7', 'nova-compute', False),
            ('compute-8', 'nova-compute', False)])
        result = self.check(deployment)
        self.assertEqual(Code.SUCCESS, result.code)
        self.assertEqual(
            SAFE + 'Information: cell2: 3 evacuations done since before T '
            'wait for their source compute to start: compute-7 (2), '
            'compute-8 (1); ' + WAITING + '. ' + NEXT, result.details)

    def test_without_a_services_table_they_stay_information(self):
        result = self.check(self.deployment(self.evacuated()))
        self.assertEqual(Code.SUCCESS, result.code)
        self.assertEqual(
            SAFE + 'Information: cell2: 3 evacuations done since before T '
            'wait for their source compute to start: compute-7 (2), '
            'compute-8 (1); ' + WAITING + "; the cell's services table could "
            'not be read to tell whether those hosts are still deployed. ' +
            NEXT, result.details)

    def test_source_host_without_a_compute_service_is_a_warning(self):
        # compute-8's nova-compute was deleted (soft: deleted = id); its
        # conductor row does not start a compute.
        deployment = self.deployment(self.evacuated(), services=[
            ('compute-7', 'nova-compute', False),
            ('compute-8', 'nova-compute', True),
            ('compute-8', 'nova-conductor', False)])
        result = self.check(deployment)
        self.assertEqual(Code.WARNING, result.code)
        self.assertEqual(
            SAFE + 'cell2: 1 evacuations done since before T whose source '
            'host has no nova-compute service in the cell: compute-8 (1); '
            'nothing will complete them. Information: cell2: 2 evacuations '
            'done since before T wait for their source compute to start: '
            'compute-7 (2); ' + WAITING + '. To do: Start nova-compute on the '
            'source hosts again, or, for a host gone for good, complete its '
            'evacuations as its start-up would: nova-migration-sm repair '
            '--map evacuation:done=completed (review the dry run: it lists '
            'every done evacuation past --stale-after). nova-migration-sm '
            'audit --config-file nova.conf lists every finding.',
            result.details)


class TestVerdict(CheckCase):

    def test_strict_on_and_clean(self):
        result = self.check(self.deployment(Seeder(self.now).good(),
                                            'enforcement = strict'))
        self.assertEqual(Code.SUCCESS, result.code)
        self.assertEqual(
            'Strict is on, and no row would break under it. '
            '[migration_state_machine] enforcement = strict. Checked 3 of 3 '
            'databases (cell0, cell1, cell2): 166 rows. To do: Nothing.',
            result.details)

    def test_rows_that_break(self):
        breaking = ('Checked 3 of 3 databases (cell0, cell1, cell2): 184 '
                    'rows. cell2: 8 rows would break under strict (3 unknown '
                    'statuses, 1 unknown types, 4 statuses impossible for '
                    'their type).')
        for enforcement, code, verdict, todo in (
                ('warn', Code.WARNING, 'Strict is not safe to turn on yet: '
                 '8 rows would break under it.', 'keep enforcement = warn'),
                ('off', Code.WARNING, 'Strict is not safe to turn on yet: '
                 '8 rows would break under it.', 'keep enforcement = off'),
                ('strict', Code.FAILURE, 'Strict is on and not safe: 8 rows '
                 'would be refused when Nova next moves them.',
                 'set enforcement = warn')):
            result = self.check(self.deployment(
                Seeder(self.now).good().bad(),
                'enforcement = %s' % enforcement))
            self.assertEqual(code, result.code, enforcement)
            self.assertTrue(result.details.startswith(
                '%s [migration_state_machine] enforcement = %s. %s' % (
                    verdict, enforcement, breaking)), result.details)
            self.assertIn(
                'To do: Fix the rows that would break with nova-migration-sm '
                'repair, or %s until they are fixed.' % todo, result.details)


class TestConfigMistakes(CheckCase):

    def test_invalid_values_fail_naming_option_and_value(self):
        deployment = self.deployment(
            Seeder(self.now).good(),
            'enforcement = strikt\ndetect_stale_writes = maybe')
        result = self.check(deployment)
        self.assertEqual(Code.FAILURE, result.code)
        self.assertTrue(result.details.startswith(
            '[migration_state_machine] enforcement in nova.conf is not '
            "valid: valid values are [strict, warn, off], but found "
            "'strikt'. [migration_state_machine] detect_stale_writes in "
            "nova.conf is not valid: unexpected boolean value 'maybe'. "
            'Strict is safe to turn on now: no row would break under it. '
            'Checked 3 of 3 databases'), result.details)
        self.assertIn('To do: Correct the [migration_state_machine] '
                      'options.', result.details)

    def test_invalid_value_and_nothing_to_check(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'nova.conf')
        with open(path, 'w') as out:
            out.write('[migration_state_machine]\nenforcement = Strict\n')
        result = upgradecheck.check_config(nova_status_conf(path))
        self.assertEqual(Code.FAILURE, result.code)
        self.assertEqual(
            '[migration_state_machine] enforcement in %s is not valid: valid '
            "values are [strict, warn, off], but found 'Strict'. nothing was "
            'checked: [api_database] connection is not set in %s.' % (
                path, path), result.details)

    def test_nova_status_upgrade_commands(self):
        deployment = self.deployment(Seeder(self.now).good(),
                                     'enforcement = strikt')
        checks = upgradecheck.MigrationStateMachineChecks(
            conf=nova_status_conf(deployment.conf))
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_upgradecheck.upgradecheck.CONF', None))
        out = self.useFixture(fixtures.StringStream('stdout')).stream
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.assertEqual(Code.FAILURE, checks.check())


class TestCommandLine(testtools.TestCase):

    def main(self, *argv) -> tuple[int, str, str]:
        return captured(self, upgradecheck.main, argv)

    def test_misspelt_check_runs_nothing(self):
        deployment = self.useFixture(Deployment(Seeder(timeutils.utcnow()),
                                                Seeder(timeutils.utcnow())))
        with mock.patch.object(upgradecheck, 'check_config') as check:
            code, out, err = self.main('--config-file', deployment.conf,
                                       'upgrade', 'chek')
        check.assert_not_called()
        self.assertEqual((2, ''), (code, out))
        self.assertEqual(
            "python -m nova_migration_sm.operators.upgradecheck: error: "
            "'upgrade chek' is not a command; did you mean 'upgrade "
            "check'?\n", err)

    def test_directory_as_config_file(self):
        path = self.useFixture(fixtures.TempDir()).path
        code, out, err = self.main('--config-file', path, 'upgrade', 'check')
        self.assertEqual((2, ''), (code, out))
        self.assertEqual(
            'python -m nova_migration_sm.operators.upgradecheck: error: '
            '--config-file %s is a directory; give a directory as '
            '--config-dir %s\n' % (path, path), err)

    def test_stdout_on_a_full_disk(self):
        class Full(io.StringIO):
            def write(self, text):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        deployment = self.useFixture(Deployment(Seeder(timeutils.utcnow()),
                                                Seeder(timeutils.utcnow())))
        err = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', Full()))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_upgradecheck.upgradecheck.CONF', None))
        self.assertEqual(2, upgradecheck.main([
            '--config-file', deployment.conf, 'upgrade', 'check']))
        self.assertEqual('python -m nova_migration_sm.operators.upgradecheck: '
                         'cannot write the result: No space left on device\n',
                         err.getvalue())

    def test_sigterm_during_the_check(self):
        deployment = self.useFixture(Deployment(Seeder(timeutils.utcnow()),
                                                Seeder(timeutils.utcnow())))

        def killed(conf):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10)
            self.fail('SIGTERM did not interrupt the check')

        before = signal.getsignal(signal.SIGTERM)
        with mock.patch.object(upgradecheck, 'check_config', killed):
            code, out, err = self.main('--config-file', deployment.conf,
                                       'upgrade', 'check')
        self.assertEqual((143, ''), (code, out))
        self.assertEqual('python -m nova_migration_sm.operators.upgradecheck: '
                         'interrupted by SIGTERM; nothing was concluded\n',
                         err)
        self.assertIs(before, signal.getsignal(signal.SIGTERM))
