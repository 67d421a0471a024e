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

"""The operator tools' ending without a verdict: could not check.

:class:`CannotCheck`'s message is one line with every password as
``***``; the commands print it and exit 2. (Stopped by a signal is
:mod:`nova_migration_sm.operators.interrupt`.) This module needs nothing beyond
the standard library, so the command line can report a missing optional
package with it.
"""

import re

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
