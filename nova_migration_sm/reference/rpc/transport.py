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

"""oslo.messaging plumbing: configuration, transport, client and server.

A private ``ConfigOpts`` needs every option group oslo.messaging reads,
including the ones it only registers on the global ``CONF``; its
``ConfFixture`` registers them all.
"""

from oslo_config import cfg
import oslo_messaging
from oslo_messaging import conffixture

from nova_migration_sm.reference import rpc

RPC_TIMEOUT = 30
"""Seconds a call waits for the conductor."""


def make_conf() -> cfg.ConfigOpts:
    """A private configuration with every oslo.messaging option."""
    conf = cfg.ConfigOpts()
    conffixture.ConfFixture(conf)
    conf([], project='nova_migration_sm')
    return conf


def get_transport(url: str, conf: cfg.ConfigOpts | None = None):
    """An RPC transport that rebuilds this library's exceptions."""
    return oslo_messaging.get_rpc_transport(
        conf or make_conf(), url=url,
        allowed_remote_exmods=list(rpc.ALLOWED_EXMODS))


def get_client(transport, serializer, topic: str = rpc.TOPIC,
               version: str = '1.0', version_cap: str | None = None,
               timeout: int = RPC_TIMEOUT):
    """An RPC client of ``topic``."""
    target = oslo_messaging.Target(topic=topic, version=version)
    return oslo_messaging.get_rpc_client(
        transport, target, version_cap=version_cap, serializer=serializer,
        timeout=timeout)


def get_server(transport, endpoints, serializer, topic: str = rpc.TOPIC,
               server: str = 'conductor'):
    """An RPC server of ``topic`` (threading executor)."""
    target = oslo_messaging.Target(topic=topic, server=server)
    return oslo_messaging.get_rpc_server(
        transport, target, endpoints, executor='threading',
        serializer=serializer,
        access_policy=oslo_messaging.DefaultRPCAccessPolicy)
