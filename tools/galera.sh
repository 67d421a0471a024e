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
# Run a command with a 3-node MariaDB Galera cluster on 127.0.0.1, stop
# the cluster when it ends, and exit with the command's status:
#
#   tools/galera.sh tox -e py3 -- tests.functional.test_galera
#
# The command gets GALERA_URLS: one SQLAlchemy URL per node,
# ';'-separated, for the user nmsm (all privileges, no password; every
# port listens on 127.0.0.1 only). MariaDB ports $TEST_GALERA_PORT (3311)
# and the next two; group, IST and SST ports from $TEST_GALERA_GROUP_PORT
# (4567: 4567/4568/4444, then +10 and +20 for the other nodes). Needs
# mariadb-server, galera-4 and rsync (bindep.txt). pifpaf's mysql driver
# cannot form a cluster: it starts mysqld with --skip-networking and
# --skip-grant-tables and takes no extra server options.
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG]..." >&2; exit 2; }
PORT=${TEST_GALERA_PORT:-3311}
GROUP=${TEST_GALERA_GROUP_PORT:-4567}
PROVIDER=/usr/lib/galera/libgalera_smm.so
[ -e "$PROVIDER" ] || { echo "$0: no $PROVIDER (galera-4)" >&2; exit 2; }
AS=()
[ "$(id -u)" = 0 ] && AS=(--user=mysql)

# rsync SST: as root, every node runs as mysql (--user), in a datadir
# (and parent) it owns.
work=$(mktemp -d -t nmsm-galera.XXXXXX)
chmod 755 "$work"
pids=()
stop() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    done
    rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

members="gcomm://127.0.0.1:$GROUP,127.0.0.1:$((GROUP + 10)),\
127.0.0.1:$((GROUP + 20))"
node_sql() {  # node_sql N SQL: run SQL on node N as root (socket auth)
    mariadb --no-defaults -S "$work/n$1/sock" -N -B -e "$2"
}
wait_status() {  # wait_status N VARIABLE VALUE: until SHOW STATUS says so
    for _ in $(seq 120); do
        [ "$(node_sql "$1" "SHOW STATUS LIKE '$2'" 2>/dev/null \
            | cut -f2)" = "$3" ] && return 0
        kill -0 "${pids[$1]}" 2>/dev/null || break
        sleep 0.5
    done
    echo "$0: node $1: $2 is not $3; log:" >&2
    tail -n 30 "$work/n$1/err.log" >&2
    exit 1
}
for n in 0 1 2; do
    dir=$work/n$n
    group=$((GROUP + 10 * n))
    mkdir -p "$dir/data"
    chown -R mysql: "$dir"
    mariadb-install-db --no-defaults "${AS[@]}" --datadir="$dir/data" \
        --auth-root-authentication-method=socket >"$dir/install.log" 2>&1
    first=()
    [ "$n" = 0 ] && first=(--wsrep-new-cluster)
    mariadbd --no-defaults "${AS[@]}" --datadir="$dir/data" \
        --socket="$dir/sock" --pid-file="$dir/pid" --log-error="$dir/err.log" \
        --port=$((PORT + n)) --bind-address=127.0.0.1 --skip-name-resolve \
        --binlog-format=ROW --innodb-autoinc-lock-mode=2 \
        --innodb-buffer-pool-size=64M --wsrep-on=ON \
        --wsrep-provider="$PROVIDER" --wsrep-cluster-address="$members" \
        --wsrep-node-address="127.0.0.1:$group" \
        --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$group;\
ist.recv_addr=127.0.0.1:$((group + 1))" \
        --wsrep-sst-method=rsync \
        --wsrep-sst-receive-address="127.0.0.1:$((group - 123))" \
        "${first[@]}" 2>>"$dir/err.log" &
    pids+=($!)
    wait_status "$n" wsrep_ready ON
done
wait_status 0 wsrep_cluster_size 3
node_sql 0 "CREATE USER nmsm@'%'; GRANT ALL ON *.* TO nmsm@'%' \
WITH GRANT OPTION"
urls=()
for n in 0 1 2; do urls+=("mysql+pymysql://nmsm@127.0.0.1:$((PORT + n))/"); done
GALERA_URLS=$(IFS=';'; echo "${urls[*]}")
export GALERA_URLS
echo "Galera: 3 nodes ready: $GALERA_URLS" >&2
"$@"
