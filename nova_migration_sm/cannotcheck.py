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

"""The operator tools' one error: nothing, or not everything, was checked.

Its message is one line with every password as ``***``; the commands
print it and exit 2. It needs nothing beyond the standard library, so the
command line can report a missing optional package with it.
"""

import re

_PASSWORD = re.compile(r"""([^\s:/@'"]+:)[^\s@/'"]+@""")


def redact(text: str) -> str:
    """``text`` with the password of every ``user:PASS@host`` as ``***``."""
    return _PASSWORD.sub(r'\1***@', text)


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
