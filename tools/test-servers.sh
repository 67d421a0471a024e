#!/usr/bin/env bash
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
#
# Run a command with RabbitMQ, PostgreSQL and MariaDB started by pifpaf,
# stop them when it ends, and exit with its status:
#
#   tools/test-servers.sh tox -e py3
#
# The command gets RPC_TRANSPORT_URL and OS_TEST_DBAPI_ADMIN_CONNECTION
# (oslo.db's admin URLs: SQLite, PostgreSQL, MariaDB) besides pifpaf's
# PIFPAF_* variables. Each server keeps its data in a temporary directory
# and listens on 127.0.0.1 or a unix socket only: RabbitMQ on port
# $TEST_RABBITMQ_PORT (5682; node $TEST_RABBITMQ_NODENAME, nmsm), PostgreSQL on a socket "port"
# $TEST_POSTGRESQL_PORT (9824), MariaDB on a socket. Needs pifpaf on PATH
# and the packages of bindep.txt ("bindep -b test").
set -euo pipefail

if [ "${1:-}" = --urls ]; then  # inside pifpaf: name the servers for tests
    shift
    export RPC_TRANSPORT_URL=$PIFPAF_RABBITMQ_URL
    export OS_TEST_DBAPI_ADMIN_CONNECTION="sqlite://;\
postgresql+psycopg2://$PG_SUPERUSER@/postgres?host=$PGHOST&port=$PGPORT;\
mysql+pymysql://root@localhost/?unix_socket=$PIFPAF_MYSQL_SOCKET"
    exec "$@"
fi
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG]..." >&2; exit 2; }
command -v pifpaf >/dev/null || { echo "$0: no pifpaf on PATH" >&2; exit 2; }

# PostgreSQL's initdb and pg_ctl refuse to run as root: as root, pifpaf
# runs it as the postgres user, from a venv of the system Python (root's
# own Python may be unreadable to that user).
work=$(mktemp -d)
chmod 755 "$work"
pifpaf_pg=(pifpaf)
export PG_SUPERUSER
PG_SUPERUSER=$(id -un)
if [ "$(id -u)" = 0 ]; then
    /usr/bin/python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q 'pifpaf>=3.4.0'
    pifpaf_pg=(runuser -u postgres -- "$work/venv/bin/pifpaf")
    PG_SUPERUSER=postgres
fi
# PostgreSQL runs in the background (its server writes only to files);
# the other two wrap the command, so that pifpaf keeps reading their output.
unset PIFPAF_PID
eval "$(cd "$work" && "${pifpaf_pg[@]}" run postgresql \
    --port "${TEST_POSTGRESQL_PORT:-9824}")"
pg_pid=${PIFPAF_PID:?PostgreSQL did not start}

stop() {
    kill "$pg_pid" 2>/dev/null || true
    while kill -0 "$pg_pid" 2>/dev/null; do sleep 0.2; done
    # epmd (RabbitMQ's port mapper) outlives the broker: stop it unless
    # another Erlang node still uses it.
    if ! epmd -names 2>/dev/null | grep -q '^name '; then
        epmd -kill >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap stop EXIT

# epmd and the Erlang distribution port on the loopback, as AMQP.
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface
{127,0,0,1}'
pifpaf run rabbitmq --nodename "${TEST_RABBITMQ_NODENAME:-nmsm}" --port "${TEST_RABBITMQ_PORT:-5682}" -- \
    pifpaf run mysql -- bash "$(realpath "$0")" --urls "$@"
