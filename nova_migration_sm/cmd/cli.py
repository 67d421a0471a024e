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

"""The ``nova-migration-sm`` command: one sub-command per module."""

import argparse
import importlib
import sys
import warnings

SUBCOMMANDS = {
    'demo': 'nova_migration_sm.cmd.demo',
    'show': 'nova_migration_sm.cmd.show',
    'check': 'nova_migration_sm.cmd.check',
    'audit': 'nova_migration_sm.cmd.audit',
    'rewrite-literals': 'nova_migration_sm.cmd.rewrite_literals',
}
"""Sub-command name -> module with ``add_arguments(parser)`` and
``run(args) -> int``; the module docstring's first line is the help."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='nova-migration-sm',
        description="State machines for Nova's Migration.status.")
    commands = parser.add_subparsers(dest='command', required=True)
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        summary = (module.__doc__ or '').strip().splitlines()[0]
        sub = commands.add_parser(name, help=summary, description=summary)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    # NOTE: oslo.messaging pulls in oslo.service's eventlet backend, which
    # warns on import; this command never uses eventlet.
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == '__main__':
    sys.exit(main())
