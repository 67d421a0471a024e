#!/usr/bin/env python3
"""Emit the Nova test selections we run against, as stestr filters.

Two selections are defined (the facts behind them: the project's shared
reference notes, nova-test-suite.md):

unit
    nova.tests.unit.objects.test_migration (not test_migration_context)
    and nova.tests.unit.objects.test_objects.TestObjectVersions.

functional (the tests that move servers)
    * nova.tests.functional.test_servers ids matching
      migrat|resize|evacuat|revert|confirm
    * nova.tests.functional.regressions.test_bug_* modules whose source
      mentions migrat/resiz/evacuat (case-insensitive); the module list is
      computed by reading the sdist
    * test_cross_cell_migrate, test_cold_migrate
    * libvirt.test_live_migration, libvirt.test_evacuate,
      libvirt.test_numa_live_migration, libvirt.test_migration_addr
    * compute.test_live_migration, compute.test_migration_list

Output formats:
    --format ids    (default) the explicit, sorted test ids, one per line, for
                    `stestr run --load-list FILE`; the ids come from
                    `stestr list` run in the sdist with the Nova venv, then
                    filtered by the regexes below.
    --format regex  the regexes, with comments, for
                    `stestr run --include-list FILE` (no venv needed).

--check FILE regenerates the selection and exits 1 if FILE differs, so a
committed list can be verified against an sdist.

Usage:
    tools/nova/select-tests.py --selection functional \
        -o tools/nova/functional-selection.txt
    tools/nova/select-tests.py --selection unit \
        -o tools/nova/unit-selection.txt
    tools/nova/select-tests.py --selection functional --format regex
The sdist defaults to $NOVA_SDIST, else
${NOVA_WORKDIR:-.tox/nova-work}/nova-34.0.0; the venv to $NOVA_VENV, else
<sdist>/../venv.
"""

import argparse
import collections
import os
import pathlib
import re
import sys

import shard_plan

NOVA_VERSION = "34.0.0"

UNIT_TEST_PATH = "./nova/tests/unit"
FUNCTIONAL_TEST_PATH = "./nova/tests/functional"

UNIT_REGEXES = [
    (r"^nova\.tests\.unit\.objects\.test_migration\.",
     "Migration object tests (test_migration_context excluded)"),
    (r"^nova\.tests\.unit\.objects\.test_objects\.TestObjectVersions\.",
     "object hashes/versions: catches an unregistered fingerprint change"),
]

SERVERS_ID_PATTERN = r"migrat|resize|evacuat|revert|confirm"
REGRESSION_SOURCE_PATTERN = re.compile(r"migrat|resiz|evacuat", re.IGNORECASE)

FUNCTIONAL_MODULES = [
    ("test_cross_cell_migrate", "cross-cell resize / cold migrate"),
    ("test_cold_migrate", "cold migrate to same/other host"),
    ("libvirt.test_live_migration", "libvirt driver live migration"),
    ("libvirt.test_evacuate", "libvirt driver evacuate"),
    ("libvirt.test_numa_live_migration", "NUMA-aware live migration"),
    ("libvirt.test_migration_addr", "live_migration_inbound_addr"),
    ("compute.test_live_migration", "live migration, compute level"),
    ("compute.test_migration_list", "migration list paging/filters"),
]


def default_sdist():
    if os.environ.get("NOVA_SDIST"):
        return pathlib.Path(os.environ["NOVA_SDIST"])
    workdir = os.environ.get("NOVA_WORKDIR", ".tox/nova-work")
    return pathlib.Path(workdir) / f"nova-{NOVA_VERSION}"


def regression_modules(sdist):
    """test_bug_* modules whose source mentions migrate/resize/evacuate."""
    regdir = sdist / "nova" / "tests" / "functional" / "regressions"
    if not regdir.is_dir():
        sys.exit(f"select-tests: no {regdir}; is {sdist} a Nova sdist?")
    mods = []
    for path in sorted(regdir.glob("test_bug_*.py")):
        if REGRESSION_SOURCE_PATTERN.search(path.read_text(encoding="utf-8")):
            mods.append(path.stem)
    return mods


def functional_regexes(sdist):
    """(regex, comment) pairs, one per part of the selection."""
    out = [
        (r"^nova\.tests\.functional\.test_servers\..*(%s)"
         % SERVERS_ID_PATTERN,
         "test_servers ids naming a move operation"),
    ]
    for mod in regression_modules(sdist):
        out.append((r"^nova\.tests\.functional\.regressions\.%s\." % mod,
                    "regression module mentioning migrate/resize/evacuate"))
    for mod, why in FUNCTIONAL_MODULES:
        out.append((r"^nova\.tests\.functional\.%s\." % re.escape(mod), why))
    return out


def stestr_list(sdist, venv, test_path):
    """All test ids under test_path, as discovered by the Nova venv."""
    stestr = venv / "bin" / "stestr"
    if not stestr.exists():
        sys.exit(f"select-tests: {stestr} missing; "
                 "run tools/nova/setup-nova.sh")
    env = dict(os.environ, OS_NOVA_DISABLE_EVENTLET_PATCHING="False",
               PYTHONDONTWRITEBYTECODE="1", LC_ALL="C.UTF-8")
    try:
        return shard_plan.stestr_list(str(sdist), str(stestr), env,
                                      test_path)
    except shard_plan.PlanError as exc:
        sys.exit(f"select-tests: {exc}")


def select_ids(all_ids, regexes):
    compiled = [(re.compile(rx), rx) for rx, _ in regexes]
    hits = collections.Counter()
    chosen = []
    for tid in all_ids:
        matched = [rx for c, rx in compiled if c.search(tid)]
        if matched:
            chosen.append(tid)
            hits[matched[0]] += 1
    for rx, _ in regexes:
        if hits[rx] == 0:
            print(f"select-tests: warning: no test matches {rx}",
                  file=sys.stderr)
    return sorted(set(chosen)), hits


def describe(hits, total, selection):
    """Per-part counts on stderr; the regression modules are summed."""
    reg = {rx: n for rx, n in hits.items() if "regressions" in rx}
    for rx, n in sorted(hits.items()):
        if rx not in reg:
            print(f"  {n:4d}  {rx}", file=sys.stderr)
    if reg:
        print(f"  {sum(reg.values()):4d}  regressions.test_bug_* "
              f"({len(reg)} modules)", file=sys.stderr)
    print(f"select-tests: {selection}: {total} tests", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sdist", type=pathlib.Path, default=None)
    ap.add_argument("--venv", type=pathlib.Path, default=None)
    ap.add_argument("--selection", choices=["unit", "functional"],
                    default="functional")
    ap.add_argument("--format", choices=["ids", "regex"], default="ids")
    ap.add_argument("-o", "--output", type=pathlib.Path)
    ap.add_argument("--check", type=pathlib.Path,
                    help="compare against FILE instead of writing")
    args = ap.parse_args()

    sdist = (args.sdist or default_sdist()).resolve()
    venv = (args.venv or pathlib.Path(
        os.environ.get("NOVA_VENV", sdist.parent / "venv"))).resolve()

    if args.selection == "unit":
        regexes, test_path = UNIT_REGEXES, UNIT_TEST_PATH
    else:
        regexes, test_path = functional_regexes(sdist), FUNCTIONAL_TEST_PATH

    if args.format == "regex":
        lines = [f"# Nova {NOVA_VERSION} {args.selection} selection "
                 f"(stestr --test-path={test_path} run --include-list FILE)"]
        lines += [f"{rx}  # {why}" for rx, why in regexes]
    else:
        ids, hits = select_ids(stestr_list(sdist, venv, test_path), regexes)
        describe(hits, len(ids), args.selection)
        lines = ids
    text = "\n".join(lines) + "\n"

    if args.check:
        current = args.check.read_text() if args.check.exists() else ""
        if current != text:
            old, new = set(current.splitlines()), set(text.splitlines())
            for line in sorted(old - new):
                print(f"- {line}", file=sys.stderr)
            for line in sorted(new - old):
                print(f"+ {line}", file=sys.stderr)
            print(f"select-tests: {args.check} is out of date",
                  file=sys.stderr)
            return 1
        print(f"select-tests: {args.check} is up to date", file=sys.stderr)
        return 0
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
