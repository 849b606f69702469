#!/usr/bin/env bash
# Local Redis + MongoDB-compatible server (FerretDB 1.24.2 on SQLite) for tests and the demo.
#
#   scripts/services.sh start    install what is missing, start both servers (idempotent), wait until they answer
#   scripts/services.sh stop     stop the servers this script started (pid files in the services dir)
#   scripts/services.sh status   show what is up
#   scripts/services.sh env      print `export MONGODB_URI=... REDIS_URL=...` lines for `eval`
#
# With METASYNC_WITH_RABBITMQ=1, `start` also installs (Debian's rabbitmq-server) and starts RabbitMQ for the tests
# that run on both brokers, and `env` prints METASYNC_AMQP_URL; `stop` stops it too.
#
# Both servers listen on 127.0.0.1 only. State lives in $METASYNC_SERVICES_DIR (default <repo>/.services).
# Ports: $METASYNC_REDIS_PORT (6390) and $METASYNC_MONGO_PORT (27027).
# If the caller exported MONGODB_URI / REDIS_URL and that server answers, it is used and nothing is started for it
# (so the suite can run against a real MongoDB).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${METASYNC_SERVICES_DIR:-$REPO/.services}"
REDIS_PORT="${METASYNC_REDIS_PORT:-6390}"
MONGO_PORT="${METASYNC_MONGO_PORT:-27027}"
HOST=127.0.0.1
WAIT_SECONDS="${METASYNC_SERVICES_WAIT:-60}"
FERRETDB_MODULE=github.com/FerretDB/FerretDB
FERRETDB_VERSION=v1.24.2

LOCAL_REDIS_URL="redis://$HOST:$REDIS_PORT/0"
LOCAL_MONGODB_URI="mongodb://$HOST:$MONGO_PORT/metasync"

AMQP_PORT="${METASYNC_AMQP_PORT:-5673}"
AMQP_DIST_PORT="${METASYNC_AMQP_DIST_PORT:-25673}"
LOCAL_AMQP_URL="amqp://guest:guest@$HOST:$AMQP_PORT//"
RABBIT_DIR="$DIR/rabbitmq"
RABBIT_PID="$DIR/rabbitmq.pid"
EPMD_PID="$DIR/epmd.pid"

REDIS_PID="$DIR/redis.pid"
REDIS_LOG="$DIR/redis.log"
FERRET_PID="$DIR/ferretdb.pid"
FERRET_LOG="$DIR/ferretdb.log"
FERRET_DATA="$DIR/ferretdb-data"
FERRET_STATE="$DIR/ferretdb-state"

# Go lives in /usr/local/go/bin on these machines; it may not be on PATH in a fresh shell.
for d in /usr/local/go/bin "$HOME/go/bin"; do
    if [[ -d "$d" && ":$PATH:" != *":$d:"* ]]; then PATH="$PATH:$d"; fi
done
export PATH

log() { echo "services: $*" >&2; }
die() { echo "services: ERROR: $*" >&2; exit 1; }

python_bin() {
    # A Python that can import pymongo (the project venv first), or nothing.
    local p
    for p in "$REPO/.venv/bin/python" python3; do
        if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import pymongo' >/dev/null 2>&1; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

tcp_open() { # host port
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" >/dev/null 2>&1
}

url_host_port() { # url default_port -> "host port" of the first host
    local rest="${1#*://}"
    rest="${rest%%/*}"
    rest="${rest%%\?*}"
    rest="${rest##*@}"
    rest="${rest%%,*}"
    local host="${rest%%:*}" port="$2"
    if [[ "$rest" == *:* ]]; then port="${rest##*:}"; fi
    echo "${host:-localhost} $port"
}

redis_url_ok() { # url
    local url="$1"
    if command -v redis-cli >/dev/null 2>&1; then
        [[ "$(timeout 5 redis-cli -u "$url" ping 2>/dev/null)" == "PONG" ]]
        return
    fi
    local hp
    hp=($(url_host_port "$url" 6379))
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "PING\r\n" >&3
        IFS= read -r line <&3
        [[ "$line" == +PONG* ]]' "${hp[0]}" "${hp[1]}" >/dev/null 2>&1
}

mongo_url_ok() { # url
    local url="$1" py
    if py="$(python_bin)"; then
        timeout 15 "$py" - "$url" >/dev/null 2>&1 <<'EOF'
import sys
import pymongo
client = pymongo.MongoClient(sys.argv[1], serverSelectionTimeoutMS=3000, connectTimeoutMS=3000)
client.admin.command("ping")
EOF
        return
    fi
    [[ "$url" == mongodb+srv://* ]] && return 1
    local hp
    hp=($(url_host_port "$url" 27017))
    tcp_open "${hp[0]}" "${hp[1]}"
}

pid_alive() { # pidfile name-pattern
    local pid
    [[ -f "$1" ]] || return 1
    pid="$(cat "$1" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # guard against a recycled pid
    local cmdline
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ "$cmdline" == *"$2"* ]]
}

# The caller's own servers: used when exported and reachable.
external_redis() { [[ -n "${REDIS_URL:-}" ]] && redis_url_ok "$REDIS_URL"; }
external_mongo() { [[ -n "${MONGODB_URI:-}" ]] && mongo_url_ok "$MONGODB_URI"; }

# ---------------------------------------------------------------------------------------------- install

ensure_redis_installed() {
    command -v redis-server >/dev/null 2>&1 && return 0
    log "redis-server not found; installing it with apt-get"
    local sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    $sudo apt-get update >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y redis-server >&2
    command -v redis-server >/dev/null 2>&1 || die "redis-server is still missing after apt-get install"
}

# FerretDB is built from source, patched, under its own name so a stock `ferretdb` elsewhere is not mistaken for it.
# Bump FERRETDB_BUILD when the patch changes: running servers started from an older build are then restarted.
FERRETDB_BUILD="ferretdb-$FERRETDB_VERSION-metasync4"
FERRETDB_PATCH="$REPO/scripts/ferretdb-$FERRETDB_VERSION-metasync.patch"

ferretdb_bin() {
    if [[ -n "${METASYNC_FERRETDB_BIN:-}" ]]; then echo "$METASYNC_FERRETDB_BIN"; return; fi
    command -v go >/dev/null 2>&1 || die "Go is needed to build FerretDB (expected in /usr/local/go/bin)"
    echo "$(go env GOPATH)/bin/$FERRETDB_BUILD"
}

# Four fixes to FerretDB 1.24.2, in $FERRETDB_PATCH, so it behaves (and performs) like MongoDB where metasync
# relies on it (details and measurements in docs/ferretdb.md):
#  1. `update` closes each statement's query iterator when that statement ends (stock: at the end of the whole
#     command, so a batch that matches 100 documents holds all 100 SQLite connections and deadlocks).
#  2. `update` and `findAndModify` statements hold a per-collection write lock (stock: no lock, so concurrent
#     writers to one document lose updates); other collections and databases are never held up.
#  3. `_id` lookups, updates and deletes use the `_id` index (stock: their SQL expression differs from the index's,
#     so every one scans the whole table).
#  4. A filter `{_id: {$in: [...]}}` (strings or ObjectIds) is looked up through that index (stock: a table scan).
patch_ferretdb() { # source-dir
    # GIT_CEILING_DIRECTORIES: apply to this tree even when $TMPDIR lies inside some git checkout
    (cd "$1" && GIT_CEILING_DIRECTORIES="$(dirname "$1")" git apply --whitespace=nowarn "$FERRETDB_PATCH") >&2
}

ensure_ferretdb_installed() {
    local bin
    bin="$(ferretdb_bin)"
    if [[ -x "$bin" ]] && "$bin" --version >/dev/null 2>&1; then
        return 0
    fi
    [[ -n "${METASYNC_FERRETDB_BIN:-}" ]] && die "METASYNC_FERRETDB_BIN=$bin does not run"
    # Not plain `go install $FERRETDB_MODULE/cmd/ferretdb@$FERRETDB_VERSION`: that build hangs on any update command
    # matching 100+ documents, loses concurrent updates and scans the table for every `_id` lookup
    # (docs/ferretdb.md). So: fetch the module (Go module proxy), copy it, write version.txt (a copied module has
    # none), apply the four fixes (patch_ferretdb), build it.
    log "building FerretDB $FERRETDB_VERSION (patched) into $bin (first run on this machine only)"
    local src tmp
    src="$(cd / && go mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
    [[ -n "$src" && -d "$src" ]] || die "go mod download $FERRETDB_MODULE@$FERRETDB_VERSION failed"
    tmp="$(mktemp -d)"
    cp -r "$src" "$tmp/src"
    chmod -R u+w "$tmp/src"
    echo "$FERRETDB_VERSION" >"$tmp/src/build/version/version.txt"
    patch_ferretdb "$tmp/src" || { rm -rf "$tmp"; die "FerretDB source is not as expected; cannot apply $FERRETDB_PATCH"; }
    mkdir -p "$(dirname "$bin")"
    (cd "$tmp/src" && go build -buildvcs=false -o "$bin.tmp.$$" ./cmd/ferretdb) >&2 \
        || { rm -rf "$tmp" "$bin.tmp.$$"; die "go build of FerretDB failed"; }
    mv -f "$bin.tmp.$$" "$bin" # atomic: another checkout may be starting the same binary
    rm -rf "$tmp"
    "$bin" --version >/dev/null || die "built FerretDB binary does not run: $bin"
}

# ---------------------------------------------------------------------------------------------- start

wait_for() { # name check-command log-file
    local name="$1" check="$2" logf="$3" deadline=$((SECONDS + WAIT_SECONDS))
    until $check; do
        if ((SECONDS >= deadline)); then
            echo "services: ERROR: $name did not answer within ${WAIT_SECONDS}s. Last log lines ($logf):" >&2
            tail -n 30 "$logf" >&2 2>/dev/null || true
            exit 1
        fi
        sleep 0.5
    done
}

local_redis_ok() { redis_url_ok "$LOCAL_REDIS_URL"; }
local_mongo_ok() { tcp_open "$HOST" "$MONGO_PORT" && mongo_url_ok "$LOCAL_MONGODB_URI"; }

start_redis() {
    if external_redis; then
        log "redis: using caller's REDIS_URL (reachable), not starting one"
        return
    fi
    [[ -n "${REDIS_URL:-}" ]] && log "redis: caller's REDIS_URL is not reachable; using a local server"
    if local_redis_ok; then
        log "redis: already up on $HOST:$REDIS_PORT"
        return
    fi
    tcp_open "$HOST" "$REDIS_PORT" && die "port $REDIS_PORT is in use by something that is not Redis (set METASYNC_REDIS_PORT)"
    ensure_redis_installed
    log "redis: starting on $HOST:$REDIS_PORT"
    redis-server --bind "$HOST" --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
        --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" --dir "$DIR" </dev/null >/dev/null 2>&1 9>&- \
        || { tail -n 30 "$REDIS_LOG" >&2 2>/dev/null || true; die "redis-server failed to start"; }
    wait_for redis local_redis_ok "$REDIS_LOG"
}

start_mongo() {
    if external_mongo; then
        log "mongo: using caller's MONGODB_URI (reachable), not starting one"
        return
    fi
    [[ -n "${MONGODB_URI:-}" ]] && log "mongo: caller's MONGODB_URI is not reachable; using a local server"
    ensure_ferretdb_installed
    local bin
    bin="$(ferretdb_bin)"
    if pid_alive "$FERRET_PID" ferretdb && ! pid_alive "$FERRET_PID" "$bin"; then
        log "mongo: the FerretDB started here runs an older build; restarting it with $bin"
        stop_pidfile FerretDB "$FERRET_PID" ferretdb
    fi
    if local_mongo_ok; then
        log "mongo: already up on $HOST:$MONGO_PORT"
        return
    fi
    tcp_open "$HOST" "$MONGO_PORT" && die "port $MONGO_PORT is in use by something that does not answer a MongoDB ping (set METASYNC_MONGO_PORT)"
    mkdir -p "$FERRET_DATA" "$FERRET_STATE"
    log "mongo: starting FerretDB (SQLite, $FERRET_DATA) on $HOST:$MONGO_PORT"
    # synchronous(off): no fsync per write (test data; about 2x faster single writes)
    nohup "$bin" --handler=sqlite --sqlite-url="file:$FERRET_DATA/?_pragma=synchronous(off)" --state-dir="$FERRET_STATE" \
        --listen-addr="$HOST:$MONGO_PORT" --debug-addr=- --telemetry=disable --log-level=error \
        </dev/null >>"$FERRET_LOG" 2>&1 9>&- &
    echo $! >"$FERRET_PID"
    wait_for FerretDB local_mongo_ok "$FERRET_LOG"
}

ensure_rabbitmq_installed() {
    command -v rabbitmq-server >/dev/null 2>&1 && return 0
    log "rabbitmq-server not found; installing it with apt-get"
    local sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    $sudo apt-get update >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y rabbitmq-server >&2
    command -v rabbitmq-server >/dev/null 2>&1 || die "rabbitmq-server is still missing after apt-get install"
}

listener_pid() { # port -> pid of the process listening on it (loopback), or nothing
    ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1
}

start_rabbitmq() {
    if pid_alive "$RABBIT_PID" beam; then
        log "rabbitmq: already up on $HOST:$AMQP_PORT"
        return
    fi
    tcp_open "$HOST" "$AMQP_PORT" && die "port $AMQP_PORT is in use by something else (set METASYNC_AMQP_PORT)"
    ensure_rabbitmq_installed
    mkdir -p "$RABBIT_DIR/mnesia" "$RABBIT_DIR/log"
    echo "[]." >"$RABBIT_DIR/enabled_plugins"
    # Debian's wrapper runs the broker as the rabbitmq user: it must own its directories.
    if id rabbitmq >/dev/null 2>&1; then chown -R rabbitmq:rabbitmq "$RABBIT_DIR"; fi
    local epmd_was_up=0
    pgrep -x epmd >/dev/null 2>&1 && epmd_was_up=1
    log "rabbitmq: starting on $HOST:$AMQP_PORT"
    # Loopback only: AMQP, Erlang distribution and epmd.
    ERL_EPMD_ADDRESS=$HOST RABBITMQ_NODENAME="metasync-$AMQP_PORT@localhost" RABBITMQ_NODE_IP_ADDRESS=$HOST \
        RABBITMQ_NODE_PORT=$AMQP_PORT RABBITMQ_DIST_PORT=$AMQP_DIST_PORT RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia" \
        RABBITMQ_LOG_BASE="$RABBIT_DIR/log" RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_DIR/enabled_plugins" \
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
        nohup rabbitmq-server </dev/null >>"$DIR/rabbitmq.log" 2>&1 9>&- &
    local deadline=$((SECONDS + WAIT_SECONDS))
    until tcp_open "$HOST" "$AMQP_PORT"; do
        ((SECONDS < deadline)) || { tail -n 30 "$DIR/rabbitmq.log" >&2; die "RabbitMQ did not answer within ${WAIT_SECONDS}s"; }
        sleep 0.5
    done
    listener_pid "$AMQP_PORT" >"$RABBIT_PID"
    if [[ "$epmd_was_up" == 0 ]]; then pgrep -x epmd | head -n 1 >"$EPMD_PID"; fi
}

cmd_start() {
    mkdir -p "$DIR"
    # one `start` at a time (e.g. `make test` and tests/conftest.py racing, or parallel workers);
    # the servers are started with fd 9 closed so they do not inherit (and hold) the lock
    exec 9>"$DIR/.lock"
    flock -w 900 9 || die "timed out waiting for another 'services.sh start' ($DIR/.lock)"
    start_redis
    start_mongo
    if [[ "${METASYNC_WITH_RABBITMQ:-0}" == 1 ]]; then start_rabbitmq; fi
    exec 9>&-
    log "ready"
}

# ---------------------------------------------------------------------------------------------- stop / status / env

stop_pidfile() { # name pidfile pattern
    local name="$1" pidfile="$2" pattern="$3" pid i
    if ! pid_alive "$pidfile" "$pattern"; then
        log "$name: not running (started by this script)"
        rm -f "$pidfile"
        return
    fi
    pid="$(cat "$pidfile")"
    log "$name: stopping pid $pid"
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 40); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name: still running after 10 s; sending SIGKILL"
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

cmd_stop() {
    stop_pidfile redis "$REDIS_PID" redis-server
    stop_pidfile FerretDB "$FERRET_PID" ferretdb
    if [[ -f "$RABBIT_PID" ]]; then stop_pidfile RabbitMQ "$RABBIT_PID" beam; fi
    if [[ -f "$EPMD_PID" ]]; then stop_pidfile epmd "$EPMD_PID" epmd; fi
}

cmd_status() {
    local rc=0
    if external_redis; then
        echo "redis:   up (caller's REDIS_URL)"
    elif local_redis_ok; then
        echo "redis:   up   $LOCAL_REDIS_URL$(pid_alive "$REDIS_PID" redis-server && echo " (pid $(cat "$REDIS_PID"), started here)")"
    else
        echo "redis:   down ($LOCAL_REDIS_URL)"; rc=1
    fi
    if external_mongo; then
        echo "mongodb: up (caller's MONGODB_URI)"
    elif local_mongo_ok; then
        echo "mongodb: up   $LOCAL_MONGODB_URI$(pid_alive "$FERRET_PID" ferretdb && echo " (FerretDB pid $(cat "$FERRET_PID"), started here)")"
    else
        echo "mongodb: down ($LOCAL_MONGODB_URI)"; rc=1
    fi
    return $rc
}

cmd_env() {
    local r="$LOCAL_REDIS_URL" m="$LOCAL_MONGODB_URI"
    if external_redis; then r="$REDIS_URL"; fi
    if external_mongo; then m="$MONGODB_URI"; fi
    printf 'export MONGODB_URI=%q\n' "$m"
    printf 'export REDIS_URL=%q\n' "$r"
    if pid_alive "$RABBIT_PID" beam; then printf 'export METASYNC_AMQP_URL=%q\n' "$LOCAL_AMQP_URL"; fi
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *)
        echo "usage: $0 {start|stop|status|env}" >&2
        exit 2
        ;;
esac
