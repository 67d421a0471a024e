#!/usr/bin/env bash
# Run tests/nova (the Nova drop-in on SQLite, PostgreSQL and MariaDB) in
# Nova 34.0.0's venv with the integration patched in; `tox -e nova-db`.
#
# Usage: tests/nova/run.sh [WORKDIR] [-- STESTR-FILTER...]
#   WORKDIR defaults to ${NOVA_WORKDIR:-.tox/nova-work}: set up (or found up
#   to date) by tools/nova/setup-nova.sh with the same patch and pip
#   arguments as `tox -e nova`, so both share one venv.
# Environment: OS_TEST_DBAPI_ADMIN_CONNECTION (oslo.db provisioning: admin
#   URLs of the servers), NOVA_MIGRATION_SM_REQUIRE_SERVERS=1 (a missing
#   server fails), NOVA_MIGRATION_SM_FIGURES_FILE (figures, JSON lines).
# Ends with "N passed, M failed"; exits non-zero if a test failed or none
# ran.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORKDIR=${NOVA_WORKDIR:-$REPO/.tox/nova-work}
if [[ $# -gt 0 && $1 != -- ]]; then
    WORKDIR=$1
    shift
fi
[[ ${1:-} == -- ]] && shift

setup_out=$(NOVA_PATCH=$REPO/tools/nova/nova-34.0.0.patch \
    NOVA_SM_EXTRA_PIP="-e $REPO" "$REPO/tools/nova/setup-nova.sh" \
    "$WORKDIR") || { echo "setup-nova.sh failed"; echo "0 passed, 1 failed"; exit 2; }
NOVA_VENV=$(sed -n 's/^NOVA_VENV=//p' <<<"$setup_out")

cd "$REPO"
export NOVA_MIGRATION_SM_NOVA_TESTS=1 TESTS_DIR=./tests/nova
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore::DeprecationWarning}
STESTR_REPO=${NOVA_STESTR_REPO:-$WORKDIR/nova-db.stestr}
mkdir -p "$STESTR_REPO"
# One test at a time: each race runs four writer processes of its own.
"$NOVA_VENV/bin/stestr" --repo-url "$STESTR_REPO" run --concurrency 1 "$@"
rc=$?
stats=$("$NOVA_VENV/bin/stestr" --repo-url "$STESTR_REPO" last --subunit \
    2>/dev/null | "$NOVA_VENV/bin/subunit-stats" 2>/dev/null)
passed=$(sed -n 's/^Passed tests: *\([0-9]*\).*/\1/p' <<<"$stats")
failed=$(sed -n 's/^Failed tests: *\([0-9]*\).*/\1/p' <<<"$stats")
passed=${passed:-0}
failed=${failed:-0}
if [[ $rc -ne 0 && $failed -eq 0 ]]; then
    failed=1  # stestr failed outside the tests (no tests, an import error)
fi
echo "$passed passed, $failed failed"
[[ $rc -eq 0 ]]
