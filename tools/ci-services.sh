#!/usr/bin/env bash
# Copyright The project contributors.
#
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
# Start/stop RabbitMQ, PostgreSQL and MariaDB on 127.0.0.1 for CI, without
# systemd. Must run as root (Debian/Ubuntu). State: $CI_SERVICES_DIR.
#
#   tools/ci-services.sh up|down|restart|status [rabbitmq|postgresql|mariadb]...
#   eval "$(tools/ci-services.sh env)"

set -euo pipefail

STATE=$(realpath -m "${CI_SERVICES_DIR:-/tmp/ci-services}")
TIMEOUT=${CI_SERVICES_TIMEOUT:-120}   # seconds to wait for each server

CI_USER=openstack_citest
CI_PASS=openstack_citest
CI_DB=openstack_citest
RMQ_PORT=5672
RMQ_DIST_PORT=25672
PG_PORT=55432
MDB_PORT=33306

ALL_SERVICES=(rabbitmq postgresql mariadb)

log() { printf '[%s] %s\n' "$1" "$2"; }
die() { printf 'ci-services: ERROR: %s\n' "$*" >&2; exit 1; }

# Print the last lines of the given log files to stderr.
show_logs() {
    local f
    for f in "$@"; do
        [[ -s $f ]] || continue
        printf -- '----- tail of %s -----\n' "$f" >&2
        tail -n 30 "$f" >&2
    done
}

# Is PID alive (not a zombie) and running the command COMM?
pid_alive() {
    local pid=$1 comm=$2 state
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || return 1
    read -r _ _ state _ <"/proc/$pid/stat" 2>/dev/null || return 1
    [[ $state != Z ]]
}

# First line of a pid file, or nothing.
pid_from() { if [[ -s $1 ]]; then head -n 1 "$1"; fi; }

# Wait up to $2 seconds for PID $1 (COMM $3) to exit.
wait_exit() {
    local pid=$1 deadline=$((SECONDS + $2))
    while pid_alive "$pid" "$3"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# Is something listening on TCP PORT (IPv4 or IPv6)? Reads /proc, no connect.
port_listening() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
        END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# The service user must be able to traverse the state directory.
need_access() {
    runuser -u "$1" -- test -x "$STATE" ||
        die "$STATE is not reachable by user $1; set CI_SERVICES_DIR elsewhere"
}

# ---------------------------------------------------------------- install

install_packages() {
    local pkgs=() svc created=0 rc=0
    for svc in "$@"; do
        case $svc in
        rabbitmq) [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] ||
            pkgs+=(rabbitmq-server) ;;
        postgresql) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ||
            pkgs+=(postgresql) ;;
        mariadb) [[ -x /usr/sbin/mariadbd ]] || pkgs+=(mariadb-server) ;;
        esac
    done
    ((${#pkgs[@]})) || return 0
    # Keep apt from starting the services it installs.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        created=1
    fi
    log install "apt-get install ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq &&
        apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; } || rc=$?
    if ((created)); then rm -f /usr/sbin/policy-rc.d; fi
    ((rc == 0)) || die "apt-get failed (exit $rc) installing ${pkgs[*]}"
}

# ---------------------------------------------------------------- rabbitmq

RMQ=$STATE/rabbitmq
RMQ_BIN=/usr/lib/rabbitmq/bin   # not the /usr/sbin wrappers (they su + cd)
RMQ_PIDFILE=$RMQ/rabbit.pid      # beam.smp PID, written by the broker
RMQ_ENV=(
    HOME="$RMQ/home"             # Erlang cookie; server and CLI share it
    RABBITMQ_NODENAME=rabbit@localhost
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    RABBITMQ_NODE_PORT="$RMQ_PORT"
    RABBITMQ_DIST_PORT="$RMQ_DIST_PORT"
    ERL_EPMD_ADDRESS=127.0.0.1
    RABBITMQ_MNESIA_BASE="$RMQ/mnesia"
    RABBITMQ_LOG_BASE="$RMQ/log"
    RABBITMQ_PID_FILE="$RMQ_PIDFILE"
    RABBITMQ_CONFIG_FILE="$RMQ/rabbitmq"
    RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ/advanced.config"
    RABBITMQ_CONF_ENV_FILE="$RMQ/rabbitmq-env.conf"
    RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ/enabled_plugins"
    ERL_CRASH_DUMP="$RMQ/log/erl_crash.dump"
    # Keep the distribution port on loopback too.
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}"
)

rmqctl() { env "${RMQ_ENV[@]}" "$RMQ_BIN/rabbitmqctl" -q "$@"; }

rmq_running() {
    pid_alive "$(pid_from "$RMQ_PIDFILE")" beam.smp && port_listening "$RMQ_PORT"
}

rmq_logs() { show_logs "$RMQ/console.log" "$RMQ/log/rabbit@localhost.log"; }

rabbitmq_up() {
    local wrapper deadline marker=$RMQ/mnesia/.ci-provisioned
    if rmq_running; then
        log rabbitmq "already running"
    else
        port_listening "$RMQ_PORT" && die "rabbitmq: port $RMQ_PORT is in use by another process"
        install -d -m 0700 "$RMQ" "$RMQ/home" "$RMQ/log" "$RMQ/mnesia"
        cat >"$RMQ/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$RMQ_PORT
loopback_users.guest = true
vm_memory_high_watermark.absolute = 1GB
disk_free_limit.absolute = 50MB
EOF
        echo '[].' >"$RMQ/enabled_plugins"
        : >"$RMQ/rabbitmq-env.conf"
        rm -f "$RMQ_PIDFILE"
        log rabbitmq "starting on 127.0.0.1:$RMQ_PORT"
        # The sh wrapper turns SIGTERM into a clean stop; detach it fully.
        setsid env "${RMQ_ENV[@]}" "$RMQ_BIN/rabbitmq-server" \
            </dev/null >>"$RMQ/console.log" 2>&1 &
        wrapper=$!
        echo "$wrapper" >"$RMQ/wrapper.pid"
        # Wait for the AMQP listener (cheap /proc check) while watching the
        # process: 'rabbitmqctl wait' alone does not notice a dead broker.
        deadline=$((SECONDS + TIMEOUT))
        until port_listening "$RMQ_PORT"; do
            if ! kill -0 "$wrapper" 2>/dev/null; then
                rmq_logs
                die "rabbitmq exited during startup (see logs above)"
            fi
            if ((SECONDS >= deadline)); then
                rmq_logs
                die "rabbitmq did not start within ${TIMEOUT}s (see logs above)"
            fi
            sleep 0.2
        done
        # Then for the app to finish booting.
        if ! rmqctl wait "$RMQ_PIDFILE" --timeout 60 >/dev/null 2>&1 || ! rmq_running; then
            rmq_logs
            die "rabbitmq did not become ready (see logs above)"
        fi
    fi
    # User setup persists in mnesia; do it once per data directory.
    if [[ ! -e $marker ]]; then
        rmqctl add_user "$CI_USER" "$CI_PASS" >/dev/null 2>&1 ||
            rmqctl change_password "$CI_USER" "$CI_PASS" >/dev/null
        rmqctl set_permissions -p / "$CI_USER" '.*' '.*' '.*' >/dev/null
        touch "$marker"
    fi
    log rabbitmq "ready (amqp://127.0.0.1:$RMQ_PORT/, user $CI_USER)"
}

rabbitmq_down() {
    local pid wrapper epmd
    pid=$(pid_from "$RMQ_PIDFILE")
    wrapper=$(pid_from "$RMQ/wrapper.pid")
    if pid_alive "$pid" beam.smp; then
        log rabbitmq "stopping"
        # 'shutdown' blocks until the OS process is gone.
        if ! rmqctl shutdown >/dev/null 2>&1; then
            kill -TERM "$pid" 2>/dev/null || true
            wait_exit "$pid" 60 beam.smp || kill -KILL "$pid" 2>/dev/null || true
        fi
        wait_exit "$pid" 30 beam.smp || die "rabbitmq: pid $pid did not exit"
    else
        log rabbitmq "not running"
    fi
    wait_exit "$wrapper" 10 rabbitmq-server || kill -TERM "$wrapper" 2>/dev/null || true
    rm -f "$RMQ_PIDFILE" "$RMQ/wrapper.pid"
    # epmd outlives the broker; stop it unless another node uses it.
    epmd=$(command -v epmd || compgen -G '/usr/lib/erlang/erts-*/bin/epmd' | head -n 1 || true)
    if [[ -n $epmd ]] && "$epmd" -names 2>/dev/null | grep -q 'up and running' &&
        ! "$epmd" -names 2>/dev/null | grep -q '^name '; then
        "$epmd" -kill >/dev/null 2>&1 || true
    fi
}

rabbitmq_status() {
    if rmq_running; then
        echo "rabbitmq: up (pid $(pid_from "$RMQ_PIDFILE"), 127.0.0.1:$RMQ_PORT)"
    else
        echo "rabbitmq: down"
        return 1
    fi
}

# ---------------------------------------------------------------- postgresql

PG=$STATE/postgresql
PGDATA=$PG/data

# Binaries matching an existing cluster, else the newest installed version.
pg_bin() {
    local v
    if [[ -s $PGDATA/PG_VERSION ]]; then
        v=$(<"$PGDATA/PG_VERSION")
        [[ -x /usr/lib/postgresql/$v/bin/initdb ]] || die "postgresql $v binaries missing for $PGDATA"
        echo "/usr/lib/postgresql/$v/bin"
    else
        compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -n 1
    fi
}

as_pg() { runuser -u postgres -- "$@"; }   # initdb/pg_ctl refuse root

pg_running() {
    pid_alive "$(pid_from "$PGDATA/postmaster.pid")" postgres && port_listening "$PG_PORT"
}

postgresql_up() {
    local bin
    bin=$(pg_bin)
    [[ -n $bin ]] || die "postgresql: no /usr/lib/postgresql/*/bin found"
    if pg_running; then
        log postgresql "already running"
    else
        port_listening "$PG_PORT" && die "postgresql: port $PG_PORT is in use by another process"
        need_access postgres
        install -d -o postgres -g postgres -m 0700 "$PG" "$PG/sock"
        if [[ ! -s $PGDATA/PG_VERSION ]]; then
            rm -rf "$PGDATA"   # leftover of an interrupted initdb
            log postgresql "initdb $PGDATA"
            # Local socket: trust (root setup); TCP: password (scram).
            if ! as_pg "$bin/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 -N \
                --auth-local=trust --auth-host=scram-sha-256 >"$PG/initdb.log" 2>&1; then
                show_logs "$PG/initdb.log"
                die "postgresql initdb failed"
            fi
            cat >>"$PGDATA/postgresql.conf" <<EOF

# ci-services: loopback only, durability off (CI data is disposable)
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
        fi
        log postgresql "starting on 127.0.0.1:$PG_PORT"
        if ! as_pg "$bin/pg_ctl" -D "$PGDATA" -l "$PG/server.log" -w -t "$TIMEOUT" start \
            >/dev/null 2>&1 || ! pg_running; then
            show_logs "$PG/server.log"
            die "postgresql failed to start (see log above)"
        fi
    fi
    # Idempotent role/database setup.
    as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$PG/sock" -p "$PG_PORT" -U postgres -d postgres >/dev/null <<EOF
SELECT 'CREATE ROLE $CI_USER' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$CI_USER')\gexec
ALTER ROLE $CI_USER LOGIN CREATEDB PASSWORD '$CI_PASS';
SELECT 'CREATE DATABASE $CI_DB OWNER $CI_USER' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$CI_DB')\gexec
EOF
    log postgresql "ready (127.0.0.1:$PG_PORT, user $CI_USER)"
}

postgresql_down() {
    local bin
    if pg_running || pid_alive "$(pid_from "$PGDATA/postmaster.pid")" postgres; then
        bin=$(pg_bin)
        log postgresql "stopping"
        as_pg "$bin/pg_ctl" -D "$PGDATA" -m fast -w -t "$TIMEOUT" stop >/dev/null
    else
        log postgresql "not running"
    fi
}

postgresql_status() {
    if pg_running; then
        echo "postgresql: up (pid $(pid_from "$PGDATA/postmaster.pid"), 127.0.0.1:$PG_PORT)"
    else
        echo "postgresql: down"
        return 1
    fi
}

# ---------------------------------------------------------------- mariadb

MDB=$STATE/mariadb
MDB_SOCK=$MDB/mysqld.sock
MDB_PIDFILE=$MDB/mariadbd.pid

# --no-defaults must come first: ignore /etc/mysql (port 3306, /run/mysqld).
mdb_admin() { mariadb-admin --no-defaults --socket="$MDB_SOCK" -uroot "$@"; }

mdb_running() {
    pid_alive "$(pid_from "$MDB_PIDFILE")" mariadbd && port_listening "$MDB_PORT"
}

mariadb_up() {
    local pid deadline
    if mdb_running; then
        log mariadb "already running"
    else
        port_listening "$MDB_PORT" && die "mariadb: port $MDB_PORT is in use by another process"
        need_access mysql
        install -d -o mysql -g mysql -m 0700 "$MDB"
        if [[ ! -d $MDB/data/mysql ]]; then
            rm -rf "$MDB/data"   # leftover of an interrupted install-db
            log mariadb "mariadb-install-db $MDB/data"
            if ! mariadb-install-db --no-defaults --user=mysql --datadir="$MDB/data" \
                --auth-root-authentication-method=socket --skip-test-db \
                >"$MDB/install-db.log" 2>&1; then
                show_logs "$MDB/install-db.log"
                die "mariadb-install-db failed"
            fi
        fi
        rm -f "$MDB_PIDFILE"
        log mariadb "starting on 127.0.0.1:$MDB_PORT"
        # utf8mb4 as in Debian's /etc/mysql config, which --no-defaults skips.
        setsid /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$MDB/data" \
            --socket="$MDB_SOCK" --port="$MDB_PORT" --bind-address=127.0.0.1 \
            --skip-name-resolve --pid-file="$MDB_PIDFILE" --log-error="$MDB/error.log" \
            --skip-log-bin --character-set-server=utf8mb4 \
            --collation-server=utf8mb4_general_ci --innodb-buffer-pool-size=128M \
            --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
            </dev/null >/dev/null 2>&1 &
        pid=$!
        deadline=$((SECONDS + TIMEOUT))
        until mdb_admin ping >/dev/null 2>&1 && mdb_running; do
            if ! kill -0 "$pid" 2>/dev/null; then
                show_logs "$MDB/error.log"
                die "mariadb exited during startup (see log above)"
            fi
            if ((SECONDS >= deadline)); then
                show_logs "$MDB/error.log"
                die "mariadb did not start within ${TIMEOUT}s (see log above)"
            fi
            sleep 0.1
        done
    fi
    # Idempotent user/database setup. With --skip-name-resolve TCP
    # clients match '%', socket clients match 'localhost'.
    mariadb --no-defaults --socket="$MDB_SOCK" -uroot <<EOF
CREATE USER IF NOT EXISTS '$CI_USER'@'%' IDENTIFIED BY '$CI_PASS';
CREATE USER IF NOT EXISTS '$CI_USER'@'localhost' IDENTIFIED BY '$CI_PASS';
ALTER USER '$CI_USER'@'%' IDENTIFIED BY '$CI_PASS';
ALTER USER '$CI_USER'@'localhost' IDENTIFIED BY '$CI_PASS';
GRANT ALL ON *.* TO '$CI_USER'@'%' WITH GRANT OPTION;
GRANT ALL ON *.* TO '$CI_USER'@'localhost' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS $CI_DB;
EOF
    log mariadb "ready (127.0.0.1:$MDB_PORT, user $CI_USER)"
}

mariadb_down() {
    local pid
    pid=$(pid_from "$MDB_PIDFILE")
    if pid_alive "$pid" mariadbd; then
        log mariadb "stopping"
        mdb_admin shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
        wait_exit "$pid" "$TIMEOUT" mariadbd || die "mariadb: pid $pid did not exit"
    else
        log mariadb "not running"
    fi
}

mariadb_status() {
    if mdb_running; then
        echo "mariadb: up (pid $(pid_from "$MDB_PIDFILE"), 127.0.0.1:$MDB_PORT)"
    else
        echo "mariadb: down"
        return 1
    fi
}

# ---------------------------------------------------------------- main

# Run ACTION for each service in parallel; fail if any failed.
run_parallel() {
    local action=$1 svc rc=0 failed=()
    shift
    local -A pids=()
    for svc in "$@"; do
        "${svc}_$action" &
        pids[$svc]=$!
    done
    for svc in "$@"; do
        wait "${pids[$svc]}" || failed+=("$svc")
    done
    if ((${#failed[@]})); then
        printf 'ci-services: %s failed for: %s\n' "$action" "${failed[*]}" >&2
        rc=1
    fi
    return "$rc"
}

print_env() {
    local auth="$CI_USER:$CI_PASS@127.0.0.1"
    echo "export RPC_TRANSPORT_URL=rabbit://$auth:$RMQ_PORT/"
    echo "export NOVA_MIGRATION_SM_TEST_DB_URLS=\"sqlite://;postgresql+psycopg2://$auth:$PG_PORT/$CI_DB;mysql+pymysql://$auth:$MDB_PORT/$CI_DB\""
    echo "export OS_TEST_DBAPI_ADMIN_CONNECTION=\"sqlite://;postgresql+psycopg2://$auth:$PG_PORT/postgres;mysql+pymysql://$auth:$MDB_PORT/\""
}

usage() {
    cat <<EOF
usage: $0 up|down|restart|status [rabbitmq|postgresql|mariadb]...
       $0 env
State directory: \$CI_SERVICES_DIR (now $STATE)
EOF
}

main() {
    local cmd=${1:-} svc services=() rc=0
    [[ -n $cmd ]] || { usage >&2; exit 2; }
    shift
    for svc in "$@"; do
        case $svc in
        rabbitmq | rabbit) services+=(rabbitmq) ;;
        postgresql | postgres | pg) services+=(postgresql) ;;
        mariadb | mysql) services+=(mariadb) ;;
        *) usage >&2; die "unknown service: $svc" ;;
        esac
    done
    ((${#services[@]})) || services=("${ALL_SERVICES[@]}")

    case $cmd in
    env) print_env; return ;;
    -h | --help | help) usage; return ;;
    status)
        for svc in "${services[@]}"; do "${svc}_status" || rc=1; done
        return "$rc"
        ;;
    up | down | restart) ;;
    *) usage >&2; exit 2 ;;
    esac

    ((EUID == 0)) || die "must run as root"
    install -d -m 0755 "$STATE"
    cd "$STATE"   # readable cwd for runuser'd tools; stray files land here

    case $cmd in
    up)
        install_packages "${services[@]}"
        run_parallel up "${services[@]}"
        ;;
    down) run_parallel down "${services[@]}" ;;
    restart)
        run_parallel down "${services[@]}"
        run_parallel up "${services[@]}"
        ;;
    esac
}

main "$@"
