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

"""The ``nova-migration-sm`` command: one sub-command per module.

Exit status, on every sub-command: 0 checked and clean, 1 rows that would
break (``audit``) or a refused move (``check``), 2 could not check (a bad
argument, URL or file, a missing driver or optional package, an
unreachable server, a missing table, stdout that cannot be written);
130 and 143 when SIGINT or SIGTERM stopped it. An error is one line on
stderr, with every password as ``***``; ``--debug`` shows the traceback
of an unexpected one.
"""

import argparse
import difflib
import errno
import importlib
import os
import re
import sys
import threading
import warnings

from nova_migration_sm import extras
from nova_migration_sm.operators.cannotcheck import CannotCheck
from nova_migration_sm.operators.cannotcheck import first_line
from nova_migration_sm.operators.cannotcheck import redact
from nova_migration_sm.operators import interrupt

PROG = 'nova-migration-sm'
CANNOT_CHECK = 2
"""Exit status when nothing, or not everything, could be checked."""

SUBCOMMANDS = {
    'demo': 'nova_migration_sm.cmd.demo',
    'show': 'nova_migration_sm.cmd.show',
    'check': 'nova_migration_sm.cmd.check',
    'audit': 'nova_migration_sm.cmd.audit',
    'repair': 'nova_migration_sm.cmd.repair',
    'rewrite-literals': 'nova_migration_sm.cmd.rewrite_literals',
}
"""Sub-command name -> module with ``add_arguments(parser)`` and
``run(args) -> int``; the module docstring's first line is the help.
A module imports its optional packages in ``run()`` only."""

EXTRAS = {'demo': 'reference', 'audit': 'operators', 'repair': 'operators',
          'rewrite-literals': 'hacking', 'show': 'diagrams'}
"""Sub-command -> the extra of the layer it runs, named when one of its
packages is missing."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (exit status 2)."""

    def error(self, message: str):
        found = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$",
                          message)
        if found:
            word, choices = found.group(1), re.findall(r"'([^']*)'",
                                                       found.group(2))
            close = difflib.get_close_matches(word, choices, n=1)
            if close:
                message += '; did you mean %r?' % close[0]
        self.exit(CANNOT_CHECK, '%s: %s (see --help)\n' % (
            self.prog, redact(message)))


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog=PROG, description="State machines for Nova's Migration.status.")
    parser.add_argument('--debug', action='store_true',
                        help='Show the traceback of an unexpected error.')
    commands = parser.add_subparsers(dest='command', required=True,
                                     metavar='COMMAND')
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        summary = (module.__doc__ or '').strip().splitlines()[0]
        sub = commands.add_parser(name, help=summary, description=summary)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run, extra=EXTRAS.get(name))
    return parser


class OutputError(Exception):
    """stdout could not be written: a full disk, a closed pipe."""


class _Stdout:
    """sys.stdout (or its buffer); a write error is OutputError."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as error:
            raise OutputError(error) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise OutputError(error) from None

    @property
    def buffer(self) -> '_Stdout':
        return _Stdout(self._stream.buffer)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _discard_stdout() -> None:
    """Send what stdout still holds to /dev/null.

    The interpreter's last flush then does not fail again, with a
    traceback.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _unexpected(error: BaseException, debug: bool) -> str:
    if debug:
        raise error
    return 'unexpected error: %s: %s (--debug shows the traceback)' % (
        type(error).__name__, first_line(error))


def main(argv: list[str] | None = None) -> int:
    """Run a sub-command; its exit status (see the module docstring)."""
    interrupt.install()
    # NOTE: oslo.messaging pulls in oslo.service's eventlet backend, which
    # warns on import; this command never uses eventlet.
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    prog, debug, status, extra = PROG, False, CANNOT_CHECK, None
    stdout = sys.stdout
    sys.stdout = _Stdout(stdout)
    try:
        args = build_parser().parse_args(argv)
        prog, debug = '%s %s' % (PROG, args.command), args.debug
        extra = args.extra
        code = args.run(args)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt as stop:
        message, status = interrupt.message(stop), interrupt.exit_status(stop)
    except CannotCheck as error:
        message = str(error)
    except ImportError as error:
        message = (extras.missing(error, extra)
                   or _unexpected(error, debug))
    except OutputError as error:
        sys.stdout = stdout
        _discard_stdout()
        cause = error.args[0]
        message = 'cannot write to stdout: %s' % (
            cause.strerror or errno.errorcode.get(cause.errno, cause))
    except Exception as error:  # noqa: BLE001 - one line, not a traceback
        message = _unexpected(error, debug)
    finally:
        sys.stdout = stdout
    print('%s: %s' % (prog, message), file=sys.stderr)
    if status != CANNOT_CHECK and threading.active_count() > 1:
        # NOTE: stopped by a signal while a cell's thread waits on a
        # server (up to dburl.CONNECT_TIMEOUT): end now. Nothing was
        # written; the connections close with the process.
        sys.stderr.flush()
        os._exit(status)
    return status


if __name__ == '__main__':
    sys.exit(main())
