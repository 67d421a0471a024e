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

"""The audit as an oslo.upgradecheck check, for ``nova-status``.

Nova wires it into ``nova/cmd/status.py`` with the database URL of each
cell (see the operators' guide); on its own it reads ``[database]
connection``::

    python -m nova_migration_sm.upgradecheck upgrade check \\
        --config-file /etc/nova/nova.conf

Failure: rows that would break under ``enforcement = strict``. Warning:
stuck migrations or ``done`` evacuations older than the threshold.
"""

import datetime
import sys

from oslo_config import cfg
from oslo_db import options as db_options
from oslo_upgradecheck import upgradecheck
import sqlalchemy as sa

from nova_migration_sm import audit

NAME = 'Migration statuses'


def _summary(label: str, report: audit.AuditReport) -> list[str]:
    notes = []
    if report.breaking:
        notes.append(
            '%s: %d rows would break under [migration_state_machine] '
            'enforcement = strict (%d unknown statuses, %d unknown types, '
            '%d statuses impossible for their type).' % (
                label, report.breaking,
                sum(g.rows for g in report.unknown_statuses.values()),
                sum(g.rows for g in report.unknown_types.values()),
                sum(g.rows for g in report.impossible.values())))
    if report.stuck_rows or report.done_evacuation_rows:
        notes.append(
            '%s: %d migrations not terminal and %d evacuations done (source '
            'compute not back) since before %s.' % (
                label, report.stuck_rows, report.done_evacuation_rows,
                audit._iso(report.stale_before)))
    return notes


def check_migration_statuses(
        db_urls: list[str],
        stale_after: datetime.timedelta = audit.DEFAULT_STALE_AFTER
) -> upgradecheck.Result:
    """Audit the ``migrations`` table of each database (one per cell)."""
    code = upgradecheck.Code.SUCCESS
    notes = []
    for url in db_urls:
        label = sa.make_url(url).render_as_string(hide_password=True)
        engine = sa.create_engine(url)
        try:
            report = audit.audit(engine, stale_after)
        except sa.exc.SQLAlchemyError as error:
            code = upgradecheck.Code.FAILURE
            notes.append('%s: cannot be read: %s' % (
                label, str(error).splitlines()[0]))
            continue
        finally:
            engine.dispose()
        if report.breaking:
            code = upgradecheck.Code.FAILURE
        elif report.stuck_rows or report.done_evacuation_rows:
            code = max(code, upgradecheck.Code.WARNING)
        notes += _summary(label, report)
    if notes:
        notes.append('Details: nova-migration-sm audit --db-url URL.')
    return upgradecheck.Result(code, ' '.join(notes) or None)


class MigrationStateMachineChecks(upgradecheck.UpgradeCommands):
    """Upgrade checks of this library.

    ``db_urls`` (one per cell) default to ``[database] connection``.
    """

    def __init__(self, db_urls: list[str] | None = None,
                 conf: cfg.ConfigOpts | None = None) -> None:
        self.db_urls = db_urls
        self.conf = conf or cfg.CONF

    def _check_migration_statuses(self) -> upgradecheck.Result:
        urls = self.db_urls or [self.conf.database.connection]
        return check_migration_statuses([u for u in urls if u])

    _upgrade_checks = ((NAME, _check_migration_statuses),)


def main(argv: list[str] | None = None) -> int:
    conf = cfg.ConfigOpts()
    db_options.set_defaults(conf)
    return upgradecheck.main(
        conf, 'nova', MigrationStateMachineChecks(conf=conf),
        argv=sys.argv[1:] if argv is None else argv)


if __name__ == '__main__':
    sys.exit(main())
