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

"""Optional packages, and the extra of this package that installs each.

The core (statuses, field, machines, mixin) needs none of them; the
operator tools name the extra to install when one is missing.
"""

DISTRIBUTION = 'nova-migration-sm'

OPTIONAL = {
    # module: (package on PyPI, extra)
    'sqlalchemy': ('SQLAlchemy', 'db'),
    'oslo_db': ('oslo.db', 'db'),
    'psycopg2': ('psycopg2', 'postgresql'),
    'pymysql': ('PyMySQL', 'mysql'),
    'oslo_messaging': ('oslo.messaging', 'rpc'),
    'pydot': ('pydot', 'diagrams'),
    'oslo_upgradecheck': ('oslo.upgradecheck', 'upgradecheck'),
    'libcst': ('libcst', 'rewrite'),
}
"""Top-level module -> ``(distribution, extra)``."""


def install_hint(extra: str) -> str:
    """``pip install 'nova-migration-sm[db]'``."""
    return "pip install '%s[%s]'" % (DISTRIBUTION, extra)


def missing(error: ImportError) -> str | None:
    """One line naming the missing package and its extra, or None.

    None when the missing module is not one of :data:`OPTIONAL` (then it
    is a broken install, not a missing extra).
    """
    name = (getattr(error, 'name', None) or '').split('.')[0]
    if name not in OPTIONAL:
        return None
    package, extra = OPTIONAL[name]
    return '%s is not installed; install the %r extra: %s' % (
        package, extra, install_hint(extra))
