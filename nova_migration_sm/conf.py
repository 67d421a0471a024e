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

"""Configuration options of the ``[migration_state_machine]`` group.

Nothing is registered at import. Nova registers them from its own
``nova/conf/migration_state_machine.py`` (:func:`register_opts`, called
by ``nova/conf/__init__.py``); :func:`options` reads them from
``oslo_config.cfg.CONF``, registering them there first in a process that
did not (this library's CLI and tests). ``list_opts`` is the
``oslo.config.opts`` entry point, so
``oslo-config-generator --namespace nova_migration_sm`` documents them.
"""

import re

from oslo_config import cfg

STRICT = 'strict'
WARN = 'warn'
OFF = 'off'

GROUP = cfg.OptGroup(
    'migration_state_machine',
    title='Migration status state machine',
    help='How Migration.status moves are checked against the machine of '
         'the migration type.')

OPTS = [
    cfg.StrOpt(
        'enforcement',
        default=WARN,
        choices=[
            (STRICT, 'Refuse a move the machine does not allow: create() '
                     'and save() raise and nothing is written.'),
            (WARN, 'Log one WARNING per move strict would refuse, then '
                   'write it anyway. Use it to roll out on a live cloud.'),
            (OFF, 'No check and no log at all: exactly the plain object '
                  'behaviour.'),
        ],
        help='What create() and save() do with a status the machine of '
             'the migration type does not allow. The default is warn, as '
             'Nova introduced its last new validation, [api] '
             'response_validation, with warn: a cloud first runs the '
             'release with the check logging, audits its cells '
             '(nova-status upgrade check, nova-migration-sm audit) until '
             'they are clean and the logs hold no warning, and only then '
             'sets strict. A row in a status Nova no longer writes is read '
             'in every mode; strict only refuses to write such a status, '
             'or to move such a row anywhere but to an error status.'),
    cfg.BoolOpt(
        'detect_stale_writes',
        default=False,
        help='Refuse (MigrationStatusConflict) every save whose object last '
             'saw another status than the database now holds. When false '
             '(the default, what Nova 34.0.0 needs), such a stale write goes '
             'through only if the move is allowed from what the writer saw '
             'and is a declared race from what the row holds (for example '
             'an evacuation the restarted source compute marked completed '
             'while the destination finishes it: completed -> done, bug '
             '1764883); any other stale write is refused.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register the options on ``conf``.

    A group of its own for each ``conf``: oslo.config keeps an option's
    override and default in its group, and ``register_group()`` copies
    the group shallowly, so with :data:`GROUP` itself a ``set_override``
    on one ``ConfigOpts`` would change every other.
    """
    conf.register_group(cfg.OptGroup(GROUP.name, title=GROUP.title,
                                     help=GROUP.help))
    conf.register_opts(OPTS, group=GROUP.name)


# NOTE: oslo.config's message, "Value for option enforcement from
# LocationInfo(..., detail='/etc/nova/nova.conf') is not valid: Valid values
# are [strict, warn, off], but found 'strikt'", without the repr.
_NOT_VALID = re.compile(
    r"detail='(?P<where>[^']*)'\) is not valid: (?P<why>.*)")


def invalid_values(conf: cfg.ConfigOpts) -> dict[str, str]:
    """Option -> one line, for each option whose value in ``conf`` is bad.

    oslo.config checks a value only when the option is read, which a
    service does at its first checked move; reading each one here reports
    every mistake before that. The options are registered on ``conf``
    first when they are not yet.
    """
    register_opts(conf)
    found = {}
    for opt in OPTS:
        try:
            getattr(conf[GROUP.name], opt.dest)
        except cfg.Error as error:
            text = ' '.join(str(error).split())
            match = _NOT_VALID.search(text)
            if match:
                why = match.group('why')
                text = 'in %s is not valid: %s' % (
                    match.group('where'), why[:1].lower() + why[1:])
            else:
                text = 'is not valid: %s' % text
            found[opt.dest] = '[%s] %s %s' % (GROUP.name, opt.dest, text)
    return found


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    """The ``oslo.config.opts`` entry point."""
    return [(GROUP, OPTS)]


CONF = cfg.CONF


def options() -> cfg.ConfigOpts.GroupAttr:
    """The ``[migration_state_machine]`` group of :data:`CONF`.

    Registered first if nobody did (Nova does, in ``nova.conf``);
    registering again is a no-op, the options being the same objects.
    """
    try:
        return CONF[GROUP.name]
    except cfg.NoSuchOptError:
        register_opts(CONF)
        return CONF[GROUP.name]
