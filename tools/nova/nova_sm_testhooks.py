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

"""Test hooks for runs of Nova's own tests; a test rig, not the library.

``setup-nova.sh`` copies this module into the Nova venv with a ``.pth``
line that calls :func:`install` in every Python process of the venv.
Each hook stays off unless its environment variable asks for it:

``NOVA_SM_DUMP_DIR=DIR``
    ``SIGUSR2`` appends to ``DIR/threads-PID.txt`` every OS thread
    (``faulthandler``) and every live green thread (each
    ``greenlet.greenlet`` found by ``gc``, with its stack). The run
    script's watchdog sends it before it kills a stalled run. SIGALRM,
    which ``OS_TEST_TIMEOUT`` uses, is left alone.

``NOVA_MIGRATION_SM_RECORD=FILE``
    Appends one JSON line to FILE for every move nova_migration_sm
    checks, observed through ``nova_migration_sm.observers``: ``id``
    (``pid-sequence``), ``test`` (the running testtools test), ``op``,
    ``type``, ``cross_cell``, ``seen``, ``persisted``, ``to``,
    ``outcome`` and ``nova`` (the innermost Nova frames that asked for
    the move, Nova's objects and DB API skipped). The hooks attach
    after import (wrapt's post-import hooks), so that nothing is
    imported before Nova's eventlet monkey-patching. ``report.py``
    summarises the file.
"""

import datetime
import faulthandler
import gc
import itertools
import json
import os
import signal
import sys
import traceback
import typing

DUMP_ENV = 'NOVA_SM_DUMP_DIR'
RECORD_ENV = 'NOVA_MIGRATION_SM_RECORD'
OBSERVERS = 'nova_migration_sm.observers'
END_OF_DUMP = '== end of dump'

_dump_dir: str | None = None
_record_path: str | None = None
_current_test: str | None = None
_sequence = itertools.count()
_where: dict[typing.Any, str | None] = {}
_NOVA = os.sep + 'nova' + os.sep
_LIBRARY = os.sep + 'nova_migration_sm' + os.sep
_HERE = os.path.abspath(__file__)
_NOT_THE_CALLER = ('nova' + os.sep + 'objects' + os.sep,
                   'nova' + os.sep + 'db' + os.sep)


def install(environ: typing.Mapping[str, str] = os.environ) -> None:
    """Arm the hooks the environment asks for (the ``.pth`` line)."""
    global _dump_dir, _record_path
    if not (environ.get(DUMP_ENV) or environ.get(RECORD_ENV)):
        return
    import wrapt
    if environ.get(DUMP_ENV) and _dump_dir is None:
        _dump_dir = environ[DUMP_ENV]
        signal.signal(signal.SIGUSR2, _on_dump_signal)
    if environ.get(RECORD_ENV) and _record_path is None:
        _record_path = environ[RECORD_ENV]
        wrapt.register_post_import_hook(observe, OBSERVERS)
    # The running test is named in each dump and each recorded move.
    wrapt.register_post_import_hook(track_tests, 'unittest')
    wrapt.register_post_import_hook(track_tests, 'testtools')


# Stack dumps

def _on_dump_signal(signum: int, frame: typing.Any) -> None:
    path = os.path.join(_dump_dir or '.', 'threads-%d.txt' % os.getpid())
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'a', encoding='utf-8') as out:
        dump_threads(out)


def dump_threads(out: typing.TextIO) -> None:
    """Write every OS thread and every live green thread to ``out``."""
    out.write('== pid %d at %s, test %s\n' % (
        os.getpid(), datetime.datetime.now().isoformat(), _current_test))
    out.write('== OS threads (faulthandler)\n')
    out.flush()
    faulthandler.dump_traceback(out, all_threads=True)
    out.write('== green threads\n')
    greenlet = sys.modules.get('greenlet')
    if greenlet is None:
        out.write('(greenlet not imported in this process)\n')
    else:
        count = 0
        for obj in gc.get_objects():
            if not isinstance(obj, greenlet.greenlet) or obj.dead:
                continue
            count += 1
            running = obj.gr_frame is None
            out.write('-- %r%s\n' % (
                obj, ' (running: this signal handler)' if running else ''))
            if obj.gr_frame is not None:
                out.write(''.join(traceback.format_stack(obj.gr_frame)))
        out.write('(%d green threads)\n' % count)
    out.write(END_OF_DUMP + '\n')
    out.flush()


# The move recorder

def track_tests(module: typing.Any) -> None:
    """Remember the id of the running test (one at a time per process).

    Wraps ``TestCase.run`` of ``unittest`` and of ``testtools`` (Nova's
    base), whose ``run()`` does not call unittest's.
    """
    original = module.TestCase.run
    if getattr(original, '_sm_tracked', False):
        return

    def run(self, *args, **kwargs):
        global _current_test
        _current_test = self.id()
        try:
            return original(self, *args, **kwargs)
        finally:
            _current_test = None

    run._sm_tracked = True
    module.TestCase.run = run


def observe(observers: typing.Any) -> None:
    """Register :func:`record` with ``nova_migration_sm.observers``."""
    observers.add(record)


def _nova_place(code: typing.Any) -> str | None:
    """``nova/...py`` of a code object of Nova's, else None (cached)."""
    if code not in _where:
        path = os.path.abspath(code.co_filename)
        at = path.rfind(_NOVA)
        place = path[at + 1:] if at >= 0 else None
        if place and (place.startswith(_NOT_THE_CALLER) or
                      'site-packages' in place.split(os.sep) or
                      _LIBRARY in path or path == _HERE):
            place = None
        _where[code] = place
    return _where[code]


def nova_frames(limit: int = 3) -> list[str]:
    """``nova/path.py:line function`` of the innermost Nova frames."""
    found = []
    frame = sys._getframe(1)
    while frame is not None and len(found) < limit:
        place = _nova_place(frame.f_code)
        if place:
            found.append('%s:%d %s' % (place, frame.f_lineno,
                                       frame.f_code.co_name))
        frame = frame.f_back
    return found


def record(move: typing.Any) -> None:
    """Append one ``CheckedMove`` to the record file as a JSON line."""
    if _record_path is None:
        return
    entry = {'id': '%d-%d' % (os.getpid(), next(_sequence)),
             'test': _current_test,
             'op': move.operation,
             'type': move.migration_type,
             'cross_cell': bool(move.cross_cell_move),
             'seen': move.seen,
             'persisted': move.persisted,
             'to': move.target,
             'outcome': move.outcome,
             'nova': nova_frames()}
    line = (json.dumps(entry, sort_keys=True, default=str) + '\n').encode()
    fd = os.open(_record_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
