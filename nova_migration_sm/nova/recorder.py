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

"""Record every checked status move to a JSONL file (for test reports).

Enabled when ``NOVA_MIGRATION_SM_RECORD`` names a file: each check the
Nova integration makes appends one JSON line with the running test (when
a testtools test is running in this process), the migration type, the
cross-cell flag, ``from`` and ``to`` (``from`` is null on create), the
operation (``create``, ``copy``, ``save``, ``conflict``), whether it was
refused, and the innermost Nova frames that asked for it. A ``conflict``
line names (``check``) the allowed check whose compare-and-swap found
another status in the row: that move was not written and was checked
again from the status the row holds.
``tools/nova/report.py`` summarises the file.
"""

import itertools
import os
import sys

from oslo_serialization import jsonutils

ENV_VAR = 'NOVA_MIGRATION_SM_RECORD'
_NOVA_DIR = os.sep + 'nova' + os.sep
_SKIP = (os.sep + 'nova' + os.sep + 'objects' + os.sep,
         os.sep + 'nova' + os.sep + 'db' + os.sep,
         os.sep + 'nova_migration_sm' + os.sep)

_path = os.environ.get(ENV_VAR) or None
_current_test: str | None = None
_sequence = itertools.count()


def enabled() -> bool:
    """Whether moves are recorded in this process."""
    return _path is not None


def _nova_frames(limit: int = 3) -> list[str]:
    """``path:line function`` of the innermost Nova frames.

    Objects and DB API are skipped (a test's own frames are kept: some
    tests create records themselves); paths start at ``nova/``.
    """
    found = []
    frame = sys._getframe(2)
    while frame is not None and len(found) < limit:
        filename = frame.f_code.co_filename
        if _NOVA_DIR in filename and not any(s in filename for s in _SKIP):
            short = filename[filename.rindex(_NOVA_DIR) + 1:]
            found.append('%s:%d %s' % (short, frame.f_lineno,
                                       frame.f_code.co_name))
        frame = frame.f_back
    return found


def record(operation: str, migration_type: str, cross_cell: bool,
           from_status: str | None, to_status: str | None,
           refused: bool, **extra: object) -> str | None:
    """Append one move to the record file; return its id (``pid-seq``).

    A no-op returning None when recording is not enabled.
    """
    if _path is None:
        return None
    entry_id = '%d-%d' % (os.getpid(), next(_sequence))
    entry = {'id': entry_id, 'test': _current_test, 'op': operation,
             'type': migration_type, 'cross_cell': cross_cell,
             'from': from_status, 'to': to_status, 'refused': refused,
             'nova': _nova_frames(), **extra}
    line = (jsonutils.dumps(entry, sort_keys=True) + '\n').encode('utf-8')
    fd = os.open(_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return entry_id


def track_tests() -> None:
    """Remember the id of the running testtools test, if any.

    Nova's tests run one at a time in each stestr worker process.
    """
    testtools = sys.modules.get('testtools')
    if _path is None or testtools is None or \
            getattr(testtools.TestCase.run, '_sm_tracked', False):
        return
    original = testtools.TestCase.run

    def run(self, *args, **kwargs):
        global _current_test
        _current_test = self.id()
        try:
            return original(self, *args, **kwargs)
        finally:
            _current_test = None

    run._sm_tracked = True
    testtools.TestCase.run = run
