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

"""The code tooling: a layer above the core.

The flake8 checks for Nova code that spells migration statuses
(:mod:`.checks`), the analysis they share (:mod:`.analysis`) with the
libcst codemod that rewrites the literals into constants
(:mod:`.rewrite`, which breaks the lines it lengthens with :mod:`.wrap`).
The codemod needs the ``hacking`` extra.
"""
