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

"""The operators' tools: a layer above the core.

The audit of a ``migrations`` table (:mod:`.audit` judges rows,
:mod:`.auditdb` streams them, :mod:`.cells` finds every cell's database,
:mod:`.dburl` opens a URL), :mod:`.repair`, the oslo.upgradecheck check
(:mod:`.upgradecheck`), and how they end without a verdict
(:mod:`.cannotcheck`, :mod:`.interrupt`). Install the ``operators`` extra
and your database's driver (``postgresql`` or ``mysql``).
"""
