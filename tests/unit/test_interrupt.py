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

"""SIGINT and SIGTERM, sent to this very process, end a tool's work."""

import io
import os
import signal
import time

import fixtures
import testtools

from nova_migration_sm.operators import interrupt


def signalled(signum: int) -> None:
    os.kill(os.getpid(), signum)
    time.sleep(10)
    raise AssertionError('%s was not delivered' % signum)


class TestInterrupt(testtools.TestCase):

    def setUp(self):
        super().setUp()
        for signum in (signal.SIGINT, signal.SIGTERM):
            self.addCleanup(signal.signal, signum, signal.getsignal(signum))
        # NOTE: as in an operator's shell; a test runner started in the
        # background (nohup, CI) inherits SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        self.err = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', self.err))

    def test_exit_status_is_128_plus_the_signal(self):
        # The shell's status for a process the signal killed.
        for signum, status in ((signal.SIGINT, 130),
                               (signal.SIGTERM, 143)):
            self.assertEqual(status,
                             interrupt.run('tool', signalled, signum))
        self.assertEqual(
            'tool: interrupted by SIGINT; nothing was concluded\n'
            'tool: interrupted by SIGTERM; nothing was concluded\n',
            self.err.getvalue())

    def test_pythons_own_keyboard_interrupt_is_sigint(self):
        def pressed():
            raise KeyboardInterrupt
        self.assertEqual(130, interrupt.run('tool', pressed))

    def test_a_second_signal_is_left_to_the_system(self):
        def winding_down():
            try:
                signalled(signal.SIGTERM)
            except interrupt.Interrupted:
                return signal.getsignal(signal.SIGTERM)
        self.assertIs(signal.SIG_DFL, interrupt.run('tool', winding_down))

    def test_handlers_restored_after(self):
        before = signal.getsignal(signal.SIGTERM)
        self.assertEqual(0, interrupt.run('tool', lambda: 0))
        self.assertIs(before, signal.getsignal(signal.SIGTERM))

    def test_an_ignored_signal_stays_ignored(self):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with interrupt.handled():
            self.assertIs(signal.SIG_IGN, signal.getsignal(signal.SIGINT))
            self.assertIsNot(signal.SIG_IGN,
                             signal.getsignal(signal.SIGTERM))
