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

"""Run one stestr command under a stall watchdog that dumps before it kills.

Why: a Nova functional worker can sit forever in the eventlet hub after a
deadlock in Nova's own ``CellDatabases`` fixture (``OS_TEST_TIMEOUT``
fires in a green thread that is itself blocked), so ``stestr run`` never
returns. When the subunit stream has not grown for ``stall_seconds`` (or
the run passes ``max_seconds``), every process under the run is asked for
its stacks before the run is killed (and once before that, when the
stream has been quiet for half as long, so that a dump shows the hang
before ``OS_TEST_TIMEOUT`` fires in it):

* ``SIGUSR2``: ``nova_sm_testhooks`` (installed in the venv by
  ``setup-nova.sh``, armed by ``NOVA_SM_DUMP_DIR``) writes every green
  thread and every OS thread to ``DUMP_DIR/threads-PID.txt``;
* ``py-spy dump --pid``: the OS threads seen from outside, which works
  even when no Python code can run in the process.
"""

import dataclasses
import os
import shutil
import signal
import subprocess
import threading
import time
import typing

DUMP_ENV = 'NOVA_SM_DUMP_DIR'
_POLL = 1.0
_DUMP_WAIT = 30.0
_KILL_GRACE = 30.0


@dataclasses.dataclass
class Attempt:
    """What one watched run did."""

    exit_code: int
    wall_seconds: int
    killed: str | None = None
    dumps: list[str] = dataclasses.field(default_factory=list)


def _children() -> dict[int, list[int]]:
    """``{ppid: [pid, ...]}`` of every process, read from ``/proc``."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry, 'rb') as f:
                stat = f.read()
        except OSError:
            continue
        # comm may hold spaces and parentheses: the ppid follows the last ')'
        ppid = int(stat[stat.rindex(b')') + 2:].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, parents first."""
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(0), []):
            found.append(child)
            todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().replace(b'\0', b' ').decode(errors='replace')
    except OSError:
        return '(gone)'


def _is_python(pid: int) -> bool:
    try:
        return 'python' in os.path.basename(os.readlink('/proc/%d/exe' % pid))
    except OSError:
        return False


def find_py_spy(venv: str | None) -> str | None:
    """py-spy from the venv, else from PATH."""
    if venv and os.access(os.path.join(venv, 'bin', 'py-spy'), os.X_OK):
        return os.path.join(venv, 'bin', 'py-spy')
    return shutil.which('py-spy')


def dump_stacks(root_pid: int, dump_dir: str, py_spy: str | None,
                log: typing.Callable[[str], None],
                when: str = '') -> list[str]:
    """Ask every Python process under ``root_pid`` for its stacks.

    Returns the dump files written; ``index.txt`` names each process.
    The hook appends each dump to ``threads-PID.txt``; py-spy writes
    ``py-spy-PID[-WHEN].txt``.
    """
    os.makedirs(dump_dir, exist_ok=True)
    pids = [pid for pid in [root_pid] + descendants(root_pid)
            if _is_python(pid)]
    with open(os.path.join(dump_dir, 'index.txt'), 'a') as index:
        for pid in pids:
            index.write('%s %d %s\n' % (
                time.strftime('%H:%M:%S'), pid, _cmdline(pid)))
    done = {pid: _dumps_in(os.path.join(dump_dir, 'threads-%d.txt' % pid))
            for pid in pids}
    for pid in pids:
        try:
            os.kill(pid, signal.SIGUSR2)
        except ProcessLookupError:
            pass
    wanted = {pid: os.path.join(dump_dir, 'threads-%d.txt' % pid)
              for pid in pids}
    deadline = time.monotonic() + _DUMP_WAIT
    while time.monotonic() < deadline and not all(
            _dumps_in(path) > done[pid] for pid, path in wanted.items()):
        time.sleep(0.2)
    written = [path for path in wanted.values() if os.path.exists(path)]
    for pid in pids:
        if py_spy is None:
            break
        path = os.path.join(dump_dir, 'py-spy-%d%s.txt' % (
            pid, '-' + when if when else ''))
        with open(path, 'w') as out:
            try:
                subprocess.run([py_spy, 'dump', '--pid', str(pid)],
                               stdout=out, stderr=subprocess.STDOUT,
                               timeout=_DUMP_WAIT, check=False)
            except subprocess.TimeoutExpired:
                out.write('py-spy dump timed out\n')
        written.append(path)
    if py_spy is None:
        log('py-spy not found: OS threads only from faulthandler')
    missing = sorted(set(wanted.values()) - set(written))
    for path in missing:
        log('no in-process dump: %s' % path)
    return sorted(written)


def _dumps_in(path: str) -> int:
    """How many complete dumps the hook wrote to ``path``."""
    try:
        with open(path, 'rb') as f:
            return f.read().count(b'\n== end of dump\n')
    except OSError:
        return 0


def _kill_group(proc: subprocess.Popen) -> None:
    """TERM the run's process group, KILL it if it lingers."""
    for sig, grace in ((signal.SIGTERM, _KILL_GRACE), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _copy(source: typing.IO[bytes], stream: typing.IO[bytes],
          live_log: typing.IO[bytes] | None) -> None:
    """Copy the run's stdout to the stream file and the live log."""
    while True:
        chunk = source.read1(65536)
        if not chunk:
            break
        stream.write(chunk)
        stream.flush()
        if live_log is not None:
            try:
                live_log.write(chunk)
                live_log.flush()
            except (BrokenPipeError, ValueError):
                live_log = None
    if live_log is not None:
        try:
            live_log.close()
        except BrokenPipeError:
            pass


def run(cmd: list[str], cwd: str, env: dict[str, str], stream_path: str,
        stderr_path: str, dump_dir: str, *, stall_seconds: float,
        max_seconds: float, live_log: subprocess.Popen | None = None,
        py_spy: str | None = None,
        log: typing.Callable[[str], None] = print) -> Attempt:
    """Run ``cmd`` (which writes subunit on stdout) under the watchdog.

    The run leads its own process group so that a kill takes the stestr
    workers down with it. ``live_log`` (a process reading the stream on
    its stdin, e.g. subunit-trace) gets a copy of the stream.
    """
    env = dict(env, **{DUMP_ENV: dump_dir})
    shutil.rmtree(dump_dir, ignore_errors=True)  # an earlier run's dumps
    start = time.monotonic()
    with open(stream_path, 'wb') as stream, \
            open(stderr_path, 'wb') as stderr:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=stderr, start_new_session=True)
        copier = threading.Thread(
            target=_copy, daemon=True,
            args=(proc.stdout, stream, live_log.stdin if live_log else None))
        copier.start()
        try:
            killed, dumps = _watch(proc, stream, start, dump_dir,
                                   stall_seconds, max_seconds, py_spy, log)
        finally:
            if proc.poll() is None:  # interrupted: leave no worker behind
                _kill_group(proc)
        proc.wait()
        copier.join(timeout=60)
    if live_log:
        try:
            live_log.wait(timeout=60)
        except subprocess.TimeoutExpired:
            live_log.kill()
    return Attempt(exit_code=proc.returncode,
                   wall_seconds=int(time.monotonic() - start),
                   killed=killed, dumps=dumps)


def _watch(proc: subprocess.Popen, stream: typing.IO[bytes], start: float,
           dump_dir: str, stall_seconds: float, max_seconds: float,
           py_spy: str | None, log: typing.Callable[[str], None]
           ) -> tuple[str | None, list[str]]:
    """Wait for the run; dump and kill it if it stalls or runs too long."""
    last_size, last_change, early = -1, start, []
    while proc.poll() is None:
        time.sleep(_POLL)
        now = time.monotonic()
        size = os.fstat(stream.fileno()).st_size
        if size != last_size:
            last_size, last_change = size, now
        if now - last_change >= stall_seconds / 2 and \
                last_change not in early:
            early.append(last_change)
            log('no subunit output for %ds: dumping stacks (no kill yet)'
                % (now - last_change))
            dump_stacks(proc.pid, dump_dir, py_spy, log,
                        when='early%d' % len(early))
        if now - start >= max_seconds:
            killed = 'hit the limit of %ds' % max_seconds
        elif now - last_change >= stall_seconds:
            killed = 'stalled: no subunit output for %ds, after %ds' % (
                stall_seconds, now - start)
        else:
            continue
        log(killed + '; dumping stacks into ' + dump_dir)
        dump_stacks(proc.pid, dump_dir, py_spy, log)
        _kill_group(proc)
        return killed, sorted(os.path.join(dump_dir, name)
                              for name in os.listdir(dump_dir)
                              if name != 'index.txt')
    return None, []
