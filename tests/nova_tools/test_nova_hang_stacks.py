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

"""``tools/nova/hang_stacks.py`` on a dump written by hand."""

import testtools

from tests import nova_tools

hang_stacks = nova_tools.load('hang_stacks')

N = '  File "/x/nova-34.0.0/nova/'
DUMP = '''== pid 7 at 2026-11-30T20:00:04, test a.T.test_rollback
== OS threads (faulthandler)
Current thread 0x1 (most recent call first):
== green threads
-- <greenlet.greenlet object at 0x2 suspended active started main>
''' + N + '''tests/fixtures/nova.py", line 592, in set_last_ctxt_mgr
  File "/v/fasteners/lock.py", line 191, in _acquire_write_lock
-- <greenlet.greenlet object at 0x3 suspended active started>
''' + N + '''tests/functional/libvirt/test_numa_live_migration.py", line 314, \
in _migrate_stub
''' + N + '''test.py", line 553, in _run_periodics
''' + N + '''compute/manager.py", line 11230, in update_available_resource
-- <greenlet.greenlet object at 0x4 suspended active started>
''' + N + '''tests/fixtures/nova.py", line 657, in _wrap_get_context_manager
  File "/v/fasteners/lock.py", line 142, in _acquire_read_lock
(3 green threads)
== end of dump
'''


class TestHangStacks(testtools.TestCase):

    def test_the_cell_deadlock_before_the_timeout(self):
        (dump,) = hang_stacks.dumps(DUMP)
        self.assertEqual(
            {'test': 'a.T.test_rollback', 'holder': ['314:_migrate_stub'],
             'readers_waiting': 1, 'writer_in_wrap_target_cell': 1,
             'main': 'write lock'},
            hang_stacks.read(dump))

    def test_two_dumps_in_one_file(self):
        self.assertEqual(2, len(hang_stacks.dumps(DUMP + DUMP)))
