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

"""Bad ``[migration_state_machine]`` values, found before a service does."""

import os

import fixtures
from oslo_config import cfg
import testtools

from nova_migration_sm import conf as sm_conf


class TestInvalidValues(testtools.TestCase):

    def parsed(self, text: str) -> tuple[cfg.ConfigOpts, str]:
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'nova.conf')
        with open(path, 'w') as out:
            out.write(text)
        conf = cfg.ConfigOpts()
        conf(['--config-file', path], project=None, default_config_files=[],
             default_config_dirs=[])
        return conf, path

    def test_each_bad_value_named_with_its_file(self):
        # Parsed before the options are registered, as nova-status's CONF.
        conf, path = self.parsed('[migration_state_machine]\n'
                                 'enforcement = strikt\n'
                                 'detect_stale_writes = maybe\n')
        self.assertEqual({
            'enforcement': '[migration_state_machine] enforcement in %s is '
                           'not valid: valid values are [strict, warn, off], '
                           "but found 'strikt'" % path,
            'detect_stale_writes': '[migration_state_machine] '
                                   'detect_stale_writes in %s is not valid: '
                                   "unexpected boolean value 'maybe'" % path,
        }, sm_conf.invalid_values(conf))

    def test_valid_values(self):
        for text in ('', '[migration_state_machine]\nenforcement = strict\n'
                         'detect_stale_writes = true\n'):
            conf, _ = self.parsed(text)
            self.assertEqual({}, sm_conf.invalid_values(conf))

    def test_from_the_environment(self):
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_MIGRATION_STATE_MACHINE__ENFORCEMENT', 'on'))
        conf, _ = self.parsed('')
        self.assertEqual(
            {'enforcement': '[migration_state_machine] enforcement in '
                            'OS_MIGRATION_STATE_MACHINE__ENFORCEMENT is not '
                            'valid: valid values are [strict, warn, off], '
                            "but found 'on'"},
            sm_conf.invalid_values(conf))


class TestRegisterOpts(testtools.TestCase):

    def test_an_override_stays_in_its_config(self):
        # oslo.config keeps overrides in the group; a shared group would
        # carry one config's override into every other.
        first, second = cfg.ConfigOpts(), cfg.ConfigOpts()
        for conf in (first, second):
            sm_conf.register_opts(conf)
            conf([], project=None, default_config_files=[],
                 default_config_dirs=[])
        first.set_override('enforcement', 'strict',
                           group='migration_state_machine')
        self.addCleanup(first.clear_override, 'enforcement',
                        group='migration_state_machine')
        self.assertEqual('strict', first.migration_state_machine.enforcement)
        self.assertEqual('warn', second.migration_state_machine.enforcement)
