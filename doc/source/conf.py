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

"""Sphinx configuration of the nova_migration_sm documentation."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '_exts'))

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.graphviz',
    'oslo_config.sphinxext',
    'migration_sm_docs',
    'operator_mistakes',
]

source_suffix = '.rst'
master_doc = 'index'
project = 'nova_migration_sm'
copyright = '2026, nova_migration_sm developers'
version = ''
release = ''
exclude_patterns = ['_build']
pygments_style = 'sphinx'

html_theme = 'alabaster'
html_static_path = []

# NOTE: the diagrams are drawn by Graphviz dot at build time (Debian:
# apt-get install graphviz); SVG keeps the Nova locations as tooltips.
graphviz_output_format = 'svg'
graphviz_dot_args = ['-Gfontname=Helvetica', '-Nfontname=Helvetica',
                     '-Efontname=Helvetica']

autodoc_member_order = 'bysource'
autodoc_default_options = {'members': True, 'show-inheritance': False}
