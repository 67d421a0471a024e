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
``migrations`` table. Its details say whether ``[migration_state_machine]
enforcement = strict`` is safe to turn on now, and why: the enforcement
configured, every cell read or not, the rows that would break per cell,
and what to do. On its own it takes oslo.upgradecheck's command line,
where global options such as ``--config-file`` go **before** ``upgrade
check`` (without one it reads Nova's default config files)::

    python -m nova_migration_sm.operators.upgradecheck \\
        --config-file /etc/nova/nova.conf upgrade check [--json]

Results (and exit statuses, oslo.upgradecheck's):

* Success (0): every cell was read and no row would break under strict.
  ``done`` evacuations waiting for their source compute are information:
  Nova completes them when that compute starts
  (:data:`WAITING_EVACUATIONS`).
* Warning (1): something to do, but the release runs as configured: rows
  that would break under strict while enforcement is ``warn`` or ``off``,
  stuck migrations, ``done`` evacuations whose source host has no
  nova-compute service left in its cell (nothing will complete them).
* Failure (2): rows that would break while enforcement is ``strict``, a
  database that could not be read, nothing configured to check, an
  invalid ``[migration_state_machine]`` value.

Interrupted by SIGINT or SIGTERM it prints one line and exits 130 or 143
(:mod:`nova_migration_sm.operators.interrupt`).
"""

import contextlib
import dataclasses
import datetime
import difflib
import io
import os
import sys

from nova_migration_sm.operators import interrupt

if __name__ == '__main__':
    # NOTE: before the imports below, which take most of a second.
    interrupt.install()

try:
    from oslo_config import cfg
    from oslo_upgradecheck import upgradecheck
    import sqlalchemy as sa

    from nova_migration_sm import conf as options
    from nova_migration_sm.operators import audit
    from nova_migration_sm.operators import auditdb
    from nova_migration_sm.operators.cannotcheck import CannotCheck
    from nova_migration_sm.operators.cannotcheck import first_line
    from nova_migration_sm.operators import cells
    from nova_migration_sm.operators import dburl
except (ImportError, KeyboardInterrupt) as _error:
    if __name__ != '__main__':
        raise
    _prog = 'python -m nova_migration_sm.operators.upgradecheck'
    if isinstance(_error, KeyboardInterrupt):
        sys.exit(interrupt.report(_prog, _error))
    from nova_migration_sm import extras
    sys.stderr.write('%s: %s\n' % (_prog, extras.missing(_error, 'operators')
                     or _error))
    sys.exit(2)

NAME = 'Migration statuses'
PROG = 'python -m nova_migration_sm.operators.upgradecheck'
Code = upgradecheck.Code
WAITING_EVACUATIONS = ('nova/compute/manager.py, '
                       'ComputeManager._destroy_evacuated_instances')
"""Where Nova 34.0.0 completes a ``done`` evacuation: the source host's
nova-compute, at start-up (``init_host``), lists the evacuations whose
``source_compute`` is its host and sets each ``completed``
(``manager.py:818-933``). It skips, leaving ``done``, one whose instance
is gone (``:905-908``) or whose ``source_node`` is not among its compute
nodes (``:913-917``); the check does not look for the second case."""
HOSTS_SHOWN = 5
"""How many source hosts a note names."""


def _label(database: audit.DatabaseAudit) -> str:
    return database.database if database.uuid is None else database.name


def _hosts(rows_by_host: dict) -> str:
    hosts = sorted(rows_by_host, key=lambda h: (-rows_by_host[h], str(h)))
    shown = ', '.join('%s (%d)' % (h, rows_by_host[h])
                      for h in hosts[:HOSTS_SHOWN])
    more = len(hosts) - HOSTS_SHOWN
    return shown + (' and %d more' % more if more > 0 else '')


def compute_hosts(url: sa.URL) -> set[str] | None:
    """Hosts with a live nova-compute service in a cell's ``services``.

    None when the table cannot be read: then nobody can tell whether a
    source host is still deployed.
    """
    services = sa.table('services', sa.column('host'), sa.column('binary'),
                        sa.column('deleted'))
    try:
        with dburl.reading(url, 'services') as connection:
            return set(connection.execute(
                sa.select(services.c.host).distinct().where(
                    services.c.binary == 'nova-compute',
                    services.c.deleted == 0)).scalars())
    except CannotCheck:
        return None


@dataclasses.dataclass
class Cell:
    """What the check says of one database.

    Its audit, and its ``done`` evacuations by whether anything will
    complete them.
    """

    database: audit.DatabaseAudit
    waiting: dict = dataclasses.field(default_factory=dict)
    """Source host -> ``done`` evacuations its nova-compute completes when
    it starts."""
    orphaned: dict = dataclasses.field(default_factory=dict)
    """Source host (no nova-compute service in the cell) -> ``done``
    evacuations nothing will complete."""
    services_read: bool = True

    @classmethod
    def of(cls, database: audit.DatabaseAudit,
           url: sa.URL | None = None) -> 'Cell':
        """``database``'s audit; ``url`` to tell orphaned evacuations."""
        cell = cls(database)
        report = database.report
        if report is None or not report.done_evacuations:
            return cell
        computes = compute_hosts(url) if url is not None else None
        cell.services_read = computes is not None
        for host, group in report.done_evacuations.items():
            found = cell.waiting if computes is None or host in computes \
                else cell.orphaned
            found[host] = group.rows
        return cell

    def notes(self) -> list[str]:
        """What was found, one sentence each."""
        label = _label(self.database)
        report = self.database.report
        if self.database.shared_with is not None:
            return ['%s: the same database as %s, checked once there.' % (
                label, self.database.shared_with)]
        if report is None:
            return ['%s could not be checked: %s.' % (
                label, self.database.error)]
        notes = []
        since = audit.iso(report.stale_before)
        if report.breaking:
            notes.append(
                '%s: %d rows would break under strict (%d unknown statuses, '
                '%d unknown types, %d statuses impossible for their type).'
                % (label, report.breaking,
                   sum(g.rows for g in report.unknown_statuses.values()),
                   sum(g.rows for g in report.unknown_types.values()),
                   sum(g.rows for g in report.impossible.values())))
        if report.stuck_rows:
            notes.append('%s: %d migrations not terminal since before %s '
                         '(stuck).' % (label, report.stuck_rows, since))
        if self.orphaned:
            notes.append(
                '%s: %d evacuations done since before %s whose source host '
                'has no nova-compute service in the cell: %s; nothing will '
                'complete them.' % (label, sum(self.orphaned.values()),
                                    since, _hosts(self.orphaned)))
        if self.waiting:
            notes.append(
                'Information: %s: %d evacuations done since before %s wait '
                'for their source compute to start: %s; it completes them '
                'then (%s)%s.' % (
                    label, sum(self.waiting.values()), since,
                    _hosts(self.waiting), WAITING_EVACUATIONS,
                    '' if self.services_read else
                    "; the cell's services table could not be read to tell "
                    "whether those hosts are still deployed"))
        return notes


def _verdict(audits: audit.Audits, enforcement: str | None
             ) -> tuple[Code, str]:
    """The code and the first sentence, from the rows and the enforcement."""
    if audits.not_checked:
        return Code.FAILURE, 'Strict cannot be judged: %d of %d databases ' \
            'could not be checked.' % (len(audits.not_checked),
                                       len(audits.databases))
    strict = enforcement == options.STRICT
    if audits.breaking and strict:
        return Code.FAILURE, 'Strict is on and not safe: %d rows would be ' \
            'refused when Nova next moves them.' % audits.breaking
    if audits.breaking:
        return Code.WARNING, 'Strict is not safe to turn on yet: %d rows ' \
            'would break under it.' % audits.breaking
    if strict:
        return Code.SUCCESS, 'Strict is on, and no row would break under it.'
    return Code.SUCCESS, 'Strict is safe to turn on now: no row would ' \
        'break under it.'


def _todo(cells_: list[Cell], audits: audit.Audits,
          enforcement: str | None, invalid: dict[str, str]) -> list[str]:
    """What the operator does next, most urgent first, a sentence each."""
    todo = []
    if invalid:
        todo.append('Correct the [migration_state_machine] options.')
    if audits.not_checked:
        todo.append('Make every database readable from this host and run '
                    'the check again; keep enforcement = warn until then.')
    if audits.breaking:
        todo.append('Fix the rows that would break with nova-migration-sm '
                    'repair, or %s until they are fixed.' % (
                        'set enforcement = warn'
                        if enforcement == options.STRICT else
                        'keep enforcement = %s' % (enforcement or
                                                   options.WARN)))
    if audits.stuck_rows:
        todo.append('Look at the stuck migrations and end them with '
                    'nova-migration-sm repair.')
    if any(c.orphaned for c in cells_):
        todo.append('Start nova-compute on the source hosts again, or, '
                    'for a host gone for good, complete its evacuations as '
                    'its start-up would: nova-migration-sm repair --map '
                    'evacuation:done=completed (review the dry run: it '
                    'lists every done evacuation past --stale-after).')
    return todo


def result(cells_: list[Cell], enforcement: str | None = None,
           invalid: dict[str, str] | None = None,
           details: str = 'nova-migration-sm audit --db-url URL'
           ) -> upgradecheck.Result:
    """The check's result for the audits of every database.

    ``enforcement`` is the value configured (None if unknown or not
    valid), ``invalid`` what :func:`nova_migration_sm.conf.invalid_values`
    found; ``details`` is the command that lists the rows.
    """
    mistakes = ['%s.' % line for line in (invalid or {}).values()]
    if not cells_:
        return upgradecheck.Result(Code.FAILURE, ' '.join(
            mistakes + ['Nothing was checked: no database was given.']))
    audits = audit.Audits([c.database for c in cells_])
    code, verdict = _verdict(audits, enforcement)
    todo = _todo(cells_, audits, enforcement, invalid or {})
    if mistakes:
        code = Code.FAILURE
    elif todo:
        code = max(code, Code.WARNING)
    notes = mistakes + [verdict]
    if enforcement is not None:
        notes.append('[migration_state_machine] enforcement = %s.'
                     % enforcement)
    notes.append('Checked %d of %d databases (%s): %d rows.' % (
        len(audits.reports), len(audits.databases),
        ', '.join(_label(d) for d in audits.databases), audits.rows))
    for cell in cells_:
        notes += cell.notes()
    if todo:
        todo.append('%s lists every finding.' % details)
    elif enforcement != options.STRICT:
        todo.append('Set enforcement = strict once the services\' logs '
                    'hold no "Migration status check failed" warning.')
    else:
        todo.append('Nothing.')
    notes.append('To do: %s' % ' '.join(todo))
    return upgradecheck.Result(code, ' '.join(notes))


def _enforcement(conf: cfg.ConfigOpts
                 ) -> tuple[str | None, dict[str, str]]:
    """The enforcement configured (None if not valid); every bad value."""
    invalid = options.invalid_values(conf)
    if 'enforcement' in invalid:
        return None, invalid
    return conf[options.GROUP.name].enforcement, invalid


def check_targets(targets: list[auditdb.Target],
                  stale_after: datetime.timedelta = audit.DEFAULT_STALE_AFTER,
                  conf: cfg.ConfigOpts | None = None,
                  **kwargs) -> upgradecheck.Result:
    """Audit the ``migrations`` table of each target.

    ``conf`` (default ``cfg.CONF``) holds the ``[migration_state_machine]``
    options; ``kwargs`` go to :func:`result`.
    """
    enforcement, invalid = _enforcement(conf or cfg.CONF)
    audits = auditdb.audit_targets(targets, stale_after=stale_after)
    return result([Cell.of(database, target.url) for target, database in
                   zip(targets, audits.databases)],
                  enforcement, invalid, **kwargs)


def check_migration_statuses(
        db_urls: list[str],
        stale_after: datetime.timedelta = audit.DEFAULT_STALE_AFTER,
        conf: cfg.ConfigOpts | None = None) -> upgradecheck.Result:
    """Audit the ``migrations`` table of each database URL."""
    targets = []
    for url in db_urls:
        try:
            targets.append(auditdb.Target.from_url(url))
        except CannotCheck as error:
            targets.append(auditdb.Target(name='-', url=None,
                                          error=str(error)))
    return check_targets(targets, stale_after, conf)


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
        return upgradecheck.Result(Code.FAILURE, ' '.join(
            ['%s.' % line for line in options.invalid_values(conf).values()]
            + ['%s.' % error]))
    return check_targets(targets, conf=conf, details='nova-migration-sm '
                         'audit %s' % ' '.join('%s %s' % pair
                                               for pair in read))


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
            return check_migration_statuses(self.db_urls, conf=self.conf)
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


def _mistake(conf: cfg.ConfigOpts) -> str | None:
    """What is wrong with a command line oslo.config accepted, if anything."""
    word = conf.command.check
    if word != 'check':
        close = difflib.get_close_matches(word, ['check'], n=1)
        return "'upgrade %s' is not a command; %s" % (
            word, "did you mean 'upgrade check'?" if close else
            "the only one is 'upgrade check'")
    for option, path in _read(conf):
        if option == '--config-dir' and not os.path.isdir(path):
            return '--config-dir %s is not a directory; give a file as ' \
                '--config-file %s' % (path, path)
    return None


def _run(argv: list[str]) -> int:
    conf = cfg.ConfigOpts()
    cells.register_opts(conf)
    options.register_opts(conf)
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
    except IsADirectoryError as error:
        print('%s: error: --config-file %s is a directory; give a '
              'directory as --config-dir %s' % (PROG, error.filename,
                                                error.filename),
              file=sys.stderr)
        return Code.FAILURE
    except OSError as error:
        print('%s: cannot read %s: %s' % (PROG, error.filename,
                                          error.strerror), file=sys.stderr)
        return Code.FAILURE
    mistake = _mistake(conf)
    if mistake is not None:
        print('%s: error: %s' % (PROG, mistake), file=sys.stderr)
        return Code.FAILURE
    # NOTE: what upgradecheck.main() does after parsing: --json reads
    # the module's CONF.
    upgradecheck.CONF = conf
    try:
        code = upgradecheck.run(conf)
        sys.stdout.flush()
        return code
    except OSError as error:
        # NOTE: oslo.upgradecheck could print neither the result nor the
        # traceback of that (a full disk, a closed pipe); what is left in
        # stdout's buffer goes nowhere, so that the exit is quiet too.
        _discard(sys.stdout)
        print('%s: cannot write the result: %s' % (
            PROG, error.strerror or first_line(error)), file=sys.stderr)
        return Code.FAILURE


def _discard(stream) -> None:
    """Point ``stream``'s file descriptor at ``/dev/null``, if it has one."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def main(argv: list[str] | None = None) -> int:
    """``upgradecheck.main()``, with every mistake on one line.

    Nova's default config files are read unless ``--config-file`` or
    ``--config-dir`` is given. SIGINT and SIGTERM end it with one line
    and exit status 130 or 143.
    """
    return interrupt.run(PROG, _run,
                         sys.argv[1:] if argv is None else list(argv))


if __name__ == '__main__':
    sys.exit(main())
