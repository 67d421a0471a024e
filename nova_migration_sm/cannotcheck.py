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

"""The operator tools' two endings without a verdict: could not check, or
stopped by a signal.

:class:`CannotCheck`'s message is one line with every password as
``***``; the commands print it and exit 2. :class:`Interrupted` is
SIGINT or SIGTERM: the commands print one line and exit 128 + the signal
number (130, 143), as a shell reports a process the signal killed. This
module needs nothing beyond the standard library, so the command line
can report a missing optional package with it.
"""

import re
import signal

_USERINFO = re.compile(r"""([A-Za-z][\w+.-]*://)([^\s/?#'"]*)@""")
"""A URL's ``scheme://`` and everything up to the last ``@`` of its
authority (an unencoded ``@`` in a password included)."""
_PASSWORD = re.compile(r"""([^\s:/@'"]+:)[^\s@/'"]+@""")
_secrets: dict[str, str] = {}
"""Text to hide wherever it appears -> what to show instead."""
MIN_SECRET = 4
"""Shorter passwords are hidden in URLs only: hidden everywhere, they
would blank out ordinary words of a driver's message."""


def _userinfo(found: re.Match) -> str:
    scheme, userinfo = found.groups()
    user, colon, _ = userinfo.partition(':')
    if '@' in user or (not colon and '@' in userinfo):
        return scheme + '***@'
    return scheme + user + (':***' if colon else '') + '@'


def hide(secret: str | None, shown: str = '***',
         min_length: int = MIN_SECRET) -> None:
    """Hide ``secret`` in every message from now on (a driver's echo)."""
    if secret and len(secret) >= min_length:
        _secrets[secret] = shown


def redact(text: str) -> str:
    """``text`` with no password in it.

    Everything between a URL's ``://`` and the last ``@`` of its host
    part keeps the user name only (``user:***@``); a bare ``user:pass@``
    becomes ``user:***@``; every :func:`hide` secret becomes ``***``.
    """
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, _secrets[secret])
    return _PASSWORD.sub(r'\1***@', _USERINFO.sub(_userinfo, text))


def first_line(error: BaseException) -> str:
    """The first non-empty line of an error's message, redacted."""
    lines = [line.strip() for line in str(error).splitlines()]
    return redact(next((line for line in lines if line),
                       type(error).__name__))


class CannotCheck(Exception):
    """Nothing, or not everything, could be checked (exit status 2).

    The message is folded into one line and its passwords redacted.
    """

    def __init__(self, message: str) -> None:
        super().__init__(redact(' '.join(str(message).split())))


STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""The signals that stop a command with one line."""


class Interrupted(BaseException):
    """A command stopped by SIGINT or SIGTERM; nothing was concluded.

    A BaseException, like KeyboardInterrupt, so that no ``except
    Exception`` on the way turns it into an error of the work.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__('interrupted by %s; nothing was concluded'
                         % signal.Signals(signum).name)

    @property
    def exit_status(self) -> int:
        """128 + the signal number: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum


def _raise(signum, frame):
    raise Interrupted(signum)


def stop_on_signals() -> None:
    """Make SIGINT and SIGTERM raise Interrupted from now on.

    Python runs the handler in the main thread: call this from there,
    first thing.
    """
    for signum in STOPPING_SIGNALS:
        signal.signal(signum, _raise)
