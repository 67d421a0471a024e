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

"""The audit as an oslo.upgradecheck check, as ``nova-status`` runs it.

It reads ``[api_database] connection`` from Nova's config, lists the
cells of its ``cell_mappings`` (cell0 included) and audits each cell's
``migrations`` table. On its own it takes oslo.upgradecheck's command
line, where global options such as ``--config-file`` go **before**
``upgrade check`` (without one it reads Nova's default config files)::

    python -m nova_migration_sm.upgradecheck \\
        --config-file /etc/nova/nova.conf upgrade check [--json]

Results (and exit statuses, oslo.upgradecheck's): Success (0), every
cell read and clean; Warning (1), stuck migrations or ``done``
evacuations older than the threshold; Failure (2), rows that would break
under ``enforcement = strict``, or a database that could not be read, or
nothing configured to check.
"""

import contextlib
import datetime
import io
import sys

try:
    from oslo_config import cfg
    from oslo_upgradecheck import upgradecheck

    from nova_migration_sm import audit
    from nova_migration_sm import auditdb
    from nova_migration_sm.cannotcheck import CannotCheck
    from nova_migration_sm.cannotcheck import first_line
    from nova_migration_sm import cells
except ImportError as _error:
    if __name__ != '__main__':
        raise
    from nova_migration_sm import extras
    sys.stderr.write('%s: %s\n' % (
        'python -m nova_migration_sm.upgradecheck',
        extras.missing(_error) or _error))
    sys.exit(2)

NAME = 'Migration statuses'
PROG = 'python -m nova_migration_sm.upgradecheck'
Code = upgradecheck.Code


def _label(database: audit.DatabaseAudit) -> str:
    return database.database if database.uuid is None else database.name


def _notes(database: audit.DatabaseAudit) -> list[str]:
    label = _label(database)
    report = database.report
    if report is None:
        return ['%s could not be checked: %s.' % (label, database.error)]
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
                audit.iso(report.stale_before)))
    return notes


def result(audits: audit.Audits,
           details: str = 'nova-migration-sm audit --db-url URL'
           ) -> upgradecheck.Result:
    """The check's result for the audits of every database.

    ``details`` is the command that shows the rows behind a Warning or a
    Failure.
    """
    if not audits.databases:
        return upgradecheck.Result(
            Code.FAILURE, 'Nothing was checked: no database was given.')
    notes = ['Checked %d of %d databases (%s): %d rows.' % (
        len(audits.reports), len(audits.databases),
        ', '.join(_label(d) for d in audits.databases), audits.rows)]
    for database in audits.databases:
        notes += _notes(database)
    if audits.exit_status != audit.CLEAN:
        code = Code.FAILURE
    elif audits.stuck_rows or audits.done_evacuation_rows:
        code = Code.WARNING
    else:
        code = Code.SUCCESS
    if code != Code.SUCCESS:
        notes.append('Details: %s.' % details)
    return upgradecheck.Result(code, ' '.join(notes))


def check_targets(targets: list[auditdb.Target],
                  stale_after: datetime.timedelta = audit.DEFAULT_STALE_AFTER,
                  **kwargs) -> upgradecheck.Result:
    """Audit the ``migrations`` table of each target.

    ``kwargs`` go to :func:`result`.
    """
    return result(auditdb.audit_targets(targets, stale_after=stale_after),
                  **kwargs)


def check_migration_statuses(
        db_urls: list[str],
        stale_after: datetime.timedelta = audit.DEFAULT_STALE_AFTER
) -> upgradecheck.Result:
    """Audit the ``migrations`` table of each database URL."""
    targets = []
    for url in db_urls:
        try:
            targets.append(auditdb.Target.from_url(url))
        except CannotCheck as error:
            targets.append(auditdb.Target(name='-', url=None,
                                          error=str(error)))
    return check_targets(targets, stale_after)


def _read(conf: cfg.ConfigOpts) -> list[tuple[str, str]]:
    """``(option, path)`` of the config files and directories read."""
    def listed(value):
        return [value] if isinstance(value, str) else list(value or [])
    return [('--config-file', path) for path in listed(conf.config_file)] + \
        [('--config-dir', path) for path in listed(conf.config_dir)]


def check_config(conf: cfg.ConfigOpts) -> upgradecheck.Result:
    """Audit every cell of the deployment Nova's ``conf`` describes."""
    read = _read(conf)
    try:
        targets = cells.targets_from_config(conf, ' and '.join(
            path for _, path in read) or 'any config file (none was read)')
    except CannotCheck as error:
        return upgradecheck.Result(Code.FAILURE, '%s.' % error)
    return check_targets(targets, details='nova-migration-sm audit %s' % (
        ' '.join('%s %s' % pair for pair in read)))


class MigrationStateMachineChecks(upgradecheck.UpgradeCommands):
    """Upgrade checks of this library.

    ``db_urls`` given: those databases; otherwise every cell of ``conf``
    (Nova's ``CONF`` in ``nova-status``).
    """

    def __init__(self, db_urls: list[str] | None = None,
                 conf: cfg.ConfigOpts | None = None) -> None:
        self.db_urls = db_urls
        self.conf = conf or cfg.CONF

    def _check_migration_statuses(self) -> upgradecheck.Result:
        if self.db_urls is not None:
            return check_migration_statuses(self.db_urls)
        return check_config(self.conf)

    _upgrade_checks = ((NAME, _check_migration_statuses),)


def _usage_error(captured: str, argv: list[str]) -> int:
    lines = [line for line in captured.splitlines() if line.strip()]
    message = lines[-1] if lines else 'invalid arguments'
    if 'unrecognized arguments' in message and 'upgrade' in argv and any(
            a.startswith('--config') for a in argv[argv.index('upgrade'):]):
        message += (" (global options such as --config-file go before "
                    "'upgrade check')")
    print(message, file=sys.stderr)
    return Code.FAILURE


def main(argv: list[str] | None = None) -> int:
    """``upgradecheck.main()``, with a usage error on one line.

    Nova's default config files are read unless ``--config-file`` or
    ``--config-dir`` is given.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    conf = cfg.ConfigOpts()
    cells.register_opts(conf)
    checks = MigrationStateMachineChecks(conf=conf)
    upgradecheck.register_cli_options(conf, checks)
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            conf(args=argv, project='nova', prog=PROG)
    except SystemExit as error:
        if not error.code:
            return 0
        return _usage_error(captured.getvalue(), argv)
    except cfg.Error as error:
        print('%s: %s' % (PROG, first_line(error)), file=sys.stderr)
        return Code.FAILURE
    # NOTE: what upgradecheck.main() does after parsing: --json reads
    # the module's CONF.
    upgradecheck.CONF = conf
    return upgradecheck.run(conf)


if __name__ == '__main__':
    sys.exit(main())
