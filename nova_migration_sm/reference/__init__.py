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

"""The reference objects and their persistence: a layer above the core.

``Migration`` 1.9 and its list (:mod:`.objects`), in Nova's object
namespaces, saved through a DB layer like Nova's (:mod:`.db`, with the
core's :mod:`nova_migration_sm.cas`) and remoted like Nova's conductor
(:mod:`.rpc`). They show and test the core the way Nova uses it; Nova
itself has its own objects. Install the ``reference`` extra. Nothing here
registers on import: call :func:`.objects.register_all`.
"""
