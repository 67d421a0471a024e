#!/usr/bin/env bash
# Real Nova services over RabbitMQ and PostgreSQL (tests/nova/services):
# set up a plain Nova 33.0.2 venv (no patch, no library), then run the
# tests in Nova 34.0.0's venv with tests/nova/run.sh; `tox -e
# nova-services`, under tools/test-servers.sh (RPC_TRANSPORT_URL,
# OS_TEST_DBAPI_ADMIN_CONNECTION).
#
# Usage: tests/nova/services/run.sh [STESTR-FILTER...]
#   NOVA33_WORKDIR defaults to .tox/nova33-work.
# Ends with "N passed, M failed".
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
NOVA33_WORKDIR=${NOVA33_WORKDIR:-$REPO/.tox/nova33-work}

setup_out=$(NOVA_VERSION=33.0.2 NOVA_PATCH='' NOVA_SM_EXTRA_PIP='' \
    "$REPO/tools/nova/setup-nova.sh" "$NOVA33_WORKDIR") || {
    echo "setup-nova.sh failed (Nova 33.0.2)"; echo "0 passed, 1 failed"; exit 2; }
NOVA_MIGRATION_SM_NOVA33_PYTHON=$(sed -n 's/^NOVA_VENV=//p' <<<"$setup_out")/bin/python
export NOVA_MIGRATION_SM_NOVA33_PYTHON
export NOVA_MIGRATION_SM_SERVICE_TESTS=1
export NOVA_STESTR_REPO=${NOVA_WORKDIR:-$REPO/.tox/nova-work}/nova-services.stestr
[[ $# -gt 0 ]] || set -- tests.nova.services
exec bash "$REPO/tests/nova/run.sh" -- "$@"
