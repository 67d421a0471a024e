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

"""SIGINT and SIGTERM end an operator tool with one line.

Inside :func:`handled` both signals raise :class:`Interrupted` (a
``KeyboardInterrupt``), so ``finally`` blocks run and connections are
closed; the tool then prints one line saying it was interrupted and
exits with ``128 + signal``, what a shell reports for a process the
signal killed: **130** for SIGINT (Ctrl-C) and **143** for SIGTERM. A
second signal while the tool winds down kills it at once (the default
action). Standard library only.

Before :func:`install` runs (the interpreter's own start, a few tens of
milliseconds), Python's defaults apply.
"""

import contextlib
import signal
import sys

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        self.signal = signal.Signals(signum)
        super().__init__(self.signal.name)


def exit_status(error: KeyboardInterrupt) -> int:
    """``128 + signal``; Python's own ``KeyboardInterrupt`` is SIGINT."""
    return 128 + getattr(error, 'signal', signal.SIGINT)


def message(error: KeyboardInterrupt) -> str:
    """What an interrupted tool says after its name."""
    return 'interrupted by %s; nothing was concluded' % (
        getattr(error, 'signal', signal.SIGINT).name)


def report(prog: str, error: KeyboardInterrupt) -> int:
    """Print the one line of an interrupted ``prog``; its exit status."""
    print('%s: %s' % (prog, message(error)), file=sys.stderr)
    return exit_status(error)


def _raise(signum: int, frame) -> None:
    for each in SIGNALS:
        signal.signal(each, signal.SIG_DFL)
    raise Interrupted(signum)


def install() -> None:
    """From now on SIGINT and SIGTERM raise :class:`Interrupted`.

    A signal ignored when the process started (a shell's background job
    ignores SIGINT, ``nohup`` SIGHUP) stays ignored, as Python itself
    keeps it.
    """
    for signum in SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _raise)


@contextlib.contextmanager
def handled():
    """:func:`install` for the block; the previous handlers after it."""
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    install()
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run(prog: str, function, *args) -> int:
    """``function(*args)`` inside :func:`handled`; its exit status.

    Interrupted, ``prog``'s one line (:func:`report`) and 130 or 143.
    """
    with handled():
        try:
            return function(*args)
        except KeyboardInterrupt as error:
            return report(prog, error)
