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


"""Test rigs: the processes and channels the functional tests run.

They are not part of the library (``nova_migration_sm.reference.rpc`` is):

* :mod:`.local`: an in-process stand-in for an oslo.messaging client.
* :mod:`.conductor`: a conductor, in a thread or as its own process
  (``python -m tests.functional.rig.conductor``).
* :mod:`.old_service`: a Nova 34.0.0 service that only knows Migration 1.8
  (``python -m tests.functional.rig.old_service``).
"""

import os
import signal
import threading

TRANSPORT_URL_ENV = 'RPC_TRANSPORT_URL'
"""Environment variable naming the oslo.messaging transport URL."""


def transport_url_from_env() -> str | None:
    """``RPC_TRANSPORT_URL``, or None for the in-process channel."""
    return os.environ.get(TRANSPORT_URL_ENV) or None


def serve_until_signalled(topic: str, stop) -> None:
    """Print ``READY <topic>``, wait for SIGTERM or SIGINT, call ``stop``."""
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    print('READY %s' % topic, flush=True)
    try:
        while not stopping.wait(1):
            pass
    finally:
        stop()
