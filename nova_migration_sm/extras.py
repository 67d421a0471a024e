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

One extra per layer: the core (statuses, field, machines, mixin) needs
none; ``reference``, ``operators`` and ``hacking`` install what their
subpackage imports, ``postgresql`` and ``mysql`` a database driver,
``diagrams`` pydot. A command names the extra of its own layer when a
package is missing.
"""

DISTRIBUTION = 'nova-migration-sm'

OPTIONAL = {
    # module: (package on PyPI, the extras that install it)
    'sqlalchemy': ('SQLAlchemy', ('operators', 'reference')),
    'oslo_db': ('oslo.db', ('operators', 'reference')),
    'oslo_context': ('oslo.context', ('reference',)),
    'oslo_messaging': ('oslo.messaging', ('reference',)),
    'oslo_upgradecheck': ('oslo.upgradecheck', ('operators',)),
    'psycopg2': ('psycopg2', ('postgresql',)),
    'pymysql': ('PyMySQL', ('mysql',)),
    'pydot': ('pydot', ('diagrams',)),
    'libcst': ('libcst', ('hacking',)),
}
"""Top-level module -> ``(distribution, extras that install it)``."""


def install_hint(extra: str) -> str:
    """``pip install 'nova-migration-sm[operators]'``."""
    return "pip install '%s[%s]'" % (DISTRIBUTION, extra)


def missing(error: ImportError, layer: str | None = None) -> str | None:
    """One line naming the missing package and its extra, or None.

    The extra is ``layer`` (the extra of the code that failed to import)
    when it installs the package, else the first that does. None when
    the missing module is not one of :data:`OPTIONAL` (then it is a
    broken install, not a missing extra).
    """
    name = (getattr(error, 'name', None) or '').split('.')[0]
    if name not in OPTIONAL:
        return None
    package, extras = OPTIONAL[name]
    extra = layer if layer in extras else extras[0]
    return '%s is not installed; install the %r extra: %s' % (
        package, extra, install_hint(extra))
