#!/usr/bin/env bash
# Real servers for Flowra's integration tests: Redis, FerretDB (MongoDB wire
# protocol, SQLite backend) and Keycloak (dev mode, realm "flowra").
#
#   scripts/services.sh up     [redis] [ferretdb] [keycloak]   (default: all)
#   scripts/services.sh down   [redis] [ferretdb] [keycloak]
#   scripts/services.sh status [redis] [ferretdb] [keycloak]
#
# Everything is installed by this script from package registries and cached
# under <repo>/.cache/ (binaries, Keycloak distribution, data, logs, pid files).
# `up` is idempotent: a server already answering on its port is reused.
# `down` only stops servers that `up` started (it finds them by pid file).
#
# Endpoints: redis://127.0.0.1:6379/0, mongodb://127.0.0.1:27017,
# http://127.0.0.1:8090 (Keycloak; master admin admin/admin, realm "flowra").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FLOWRA_CACHE_DIR:-$ROOT/.cache}"
BIN_DIR="$CACHE/bin"
DATA_DIR="$CACHE/data"
LOG_DIR="$CACHE/logs"
RUN_DIR="$CACHE/run"

HOST=127.0.0.1
REDIS_PORT="${FLOWRA_REDIS_PORT:-6379}"
FERRETDB_PORT="${FLOWRA_FERRETDB_PORT:-27017}"
KC_PORT="${FLOWRA_KEYCLOAK_PORT:-8090}"
KC_VERSION="${FLOWRA_KEYCLOAK_VERSION:-26.5.6}"
KC_HOME="$CACHE/keycloak/keycloak-$KC_VERSION"
KC_REALM_FILE="$ROOT/configs/keycloak/realm-export.json"
KC_JAVA_HOME="${FLOWRA_KEYCLOAK_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
KC_HEAP="${FLOWRA_KEYCLOAK_HEAP:--Xms64m -Xmx512m}"

# Readiness timeouts in seconds.
REDIS_TIMEOUT="${FLOWRA_REDIS_TIMEOUT:-30}"
FERRETDB_TIMEOUT="${FLOWRA_FERRETDB_TIMEOUT:-60}"
KC_TIMEOUT="${FLOWRA_KEYCLOAK_TIMEOUT:-300}"

ALL_SERVICES=(redis ferretdb keycloak)

# Go lives in /usr/local/go on this kind of machine; it may not be on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
    PATH="/usr/local/go/bin:$PATH"
fi

APT_UPDATED=0

now_us() { echo "${EPOCHREALTIME//[!0-9]/}"; }
SCRIPT_START_US="$(now_us)"

since() { # since START_US -> "12.3s"
    local us=$(($(now_us) - $1))
    printf '%d.%ds' "$((us / 1000000))" "$(((us % 1000000) / 100000))"
}

log() { printf '[services %7s] %s\n' "$(since "$SCRIPT_START_US")" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

apt_install() {
    local aptlog="$LOG_DIR/apt.log"
    mkdir -p "$LOG_DIR"
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        if ! DEBIAN_FRONTEND=noninteractive apt-get update >"$aptlog" 2>&1; then
            show_log_tail apt "$aptlog"
            die "apt-get update failed"
        fi
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
        >>"$aptlog" 2>&1; then
        show_log_tail apt "$aptlog"
        die "apt-get install $* failed"
    fi
}

ensure_cmd() { # ensure_cmd COMMAND DEBIAN_PACKAGE
    command -v "$1" >/dev/null 2>&1 || apt_install "$2"
    command -v "$1" >/dev/null 2>&1 || die "$1 not found even after installing $2"
}

tcp_open() { # tcp_open PORT
    timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

proc_running() { # proc_running PID: alive and not a zombie waiting to be reaped
    local state=""
    kill -0 "$1" 2>/dev/null || return 1
    # /proc/PID/stat is "pid (comm) state ...", and comm may hold spaces.
    [ -r "/proc/$1/stat" ] && state="$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null || true)"
    [ "$state" != Z ]
}

pid_alive() { # pid_alive PIDFILE
    local pid
    [ -s "$1" ] || return 1
    pid="$(cat "$1")"
    [ -n "$pid" ] && proc_running "$pid"
}

show_log_tail() { # show_log_tail NAME LOGFILE
    echo "----- last 50 lines of $2 ($1) -----" >&2
    tail -n 50 "$2" >&2 2>/dev/null || echo "(no log)" >&2
    echo "----- end of $1 log -----" >&2
}

# wait_ready NAME TIMEOUT LOGFILE PIDFILE CHECK_FN
wait_ready() {
    local name=$1 limit=$2 logfile=$3 pidfile=$4 check=$5 start=$SECONDS t0
    t0="$(now_us)"
    while ! "$check"; do
        if [ -n "$pidfile" ] && [ -e "$pidfile" ] && ! pid_alive "$pidfile"; then
            log "$name: process exited before becoming ready"
            show_log_tail "$name" "$logfile"
            return 1
        fi
        if [ $((SECONDS - start)) -ge "$limit" ]; then
            log "$name: not ready after ${limit}s"
            show_log_tail "$name" "$logfile"
            return 1
        fi
        sleep 0.5
    done
    log "$name: ready (waited $(since "$t0"))"
}

# start_detached NAME PIDFILE LOGFILE CMD... : run CMD in its own session,
# immune to hangups, with its pid (= its process group id) in PIDFILE.
start_detached() {
    local name=$1 pidfile=$2 logfile=$3
    shift 3
    : >"$logfile"
    # shellcheck disable=SC2016 # $$ and "$@" expand in the inner shell
    nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
        >>"$logfile" 2>&1 </dev/null &
    local tries=0
    while ! [ -s "$pidfile" ] && [ "$tries" -lt 50 ]; do
        tries=$((tries + 1))
        sleep 0.1
    done
    log "$name: started pid $(cat "$pidfile" 2>/dev/null || echo '?') (log: ${logfile#"$ROOT"/})"
}

stop_pidfile() { # stop_pidfile NAME PIDFILE
    local name=$1 pidfile=$2 pid start=$SECONDS t0
    t0="$(now_us)"
    if ! [ -e "$pidfile" ]; then
        log "$name: no pid file; nothing started by us"
        return 0
    fi
    if ! pid_alive "$pidfile"; then
        log "$name: not running (stale pid file removed)"
        rm -f "$pidfile"
        return 0
    fi
    pid="$(cat "$pidfile")"
    # Signal the whole process group (setsid made pid its leader), else the pid.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    while proc_running "$pid"; do
        if [ $((SECONDS - start)) -ge 30 ]; then
            log "$name: still running after 30s, sending SIGKILL"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
    done
    rm -f "$pidfile"
    log "$name: stopped pid $pid in $(since "$t0")"
}

# ---------------------------------------------------------------- redis ---

REDIS_PIDFILE="$RUN_DIR/redis.pid"
REDIS_LOG="$LOG_DIR/redis.log"

redis_ready() {
    [ "$(timeout 2 redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
}

redis_start() {
    ensure_cmd redis-server redis-server
    ensure_cmd redis-cli redis-tools
    if redis_ready; then
        log "redis: already answering on $HOST:$REDIS_PORT, reusing"
        return 0
    fi
    if pid_alive "$REDIS_PIDFILE"; then
        log "redis: pid $(cat "$REDIS_PIDFILE") still starting, waiting"
        return 0
    fi
    mkdir -p "$DATA_DIR/redis"
    : >"$REDIS_LOG"
    rm -f "$REDIS_PIDFILE"
    redis-server --port "$REDIS_PORT" --bind "$HOST" --daemonize yes \
        --dir "$DATA_DIR/redis" --save '' --appendonly no \
        --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOG"
    log "redis: started (log: ${REDIS_LOG#"$ROOT"/})"
}

redis_wait() { wait_ready redis "$REDIS_TIMEOUT" "$REDIS_LOG" "" redis_ready; }

# ------------------------------------------------------------- ferretdb ---

FERRETDB_SRC="$ROOT/tools/ferretdb"
FERRETDB_BIN="$BIN_DIR/ferretdb"
FERRETDB_PIDFILE="$RUN_DIR/ferretdb.pid"
FERRETDB_LOG="$LOG_DIR/ferretdb.log"

ferretdb_ready() {
    tcp_open "$FERRETDB_PORT" || return 1
    # A real MongoDB round trip when our binary (with its -ping mode) exists.
    if [ -x "$FERRETDB_BIN" ]; then
        "$FERRETDB_BIN" -ping -listen-addr "$HOST:$FERRETDB_PORT" >/dev/null 2>&1
    fi
}

ferretdb_build() {
    command -v go >/dev/null 2>&1 || die "go not found (expected in /usr/local/go/bin)"
    local want have=""
    want="$(cat "$FERRETDB_SRC/main.go" "$FERRETDB_SRC/go.mod" "$FERRETDB_SRC/go.sum" \
        | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
    [ -f "$FERRETDB_BIN.hash" ] && have="$(cat "$FERRETDB_BIN.hash")"
    if [ -x "$FERRETDB_BIN" ] && [ "$want" = "$have" ]; then
        return 0
    fi
    log "ferretdb: building $FERRETDB_BIN from tools/ferretdb (cold builds take ~1-2 min)"
    local t0
    t0="$(now_us)"
    mkdir -p "$BIN_DIR"
    mkdir -p "$LOG_DIR"
    if ! go -C "$FERRETDB_SRC" build -trimpath -buildvcs=false -o "$FERRETDB_BIN.tmp" . \
        >"$LOG_DIR/ferretdb-build.log" 2>&1; then
        show_log_tail ferretdb-build "$LOG_DIR/ferretdb-build.log"
        die "ferretdb: go build failed"
    fi
    mv -f "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
    echo "$want" >"$FERRETDB_BIN.hash"
    log "ferretdb: built in $(since "$t0")"
}

ferretdb_start() {
    if tcp_open "$FERRETDB_PORT"; then
        log "ferretdb: something already listens on $HOST:$FERRETDB_PORT, reusing"
        ferretdb_build
        return 0
    fi
    if pid_alive "$FERRETDB_PIDFILE"; then
        log "ferretdb: pid $(cat "$FERRETDB_PIDFILE") still starting, waiting"
        return 0
    fi
    ferretdb_build
    mkdir -p "$DATA_DIR/ferretdb"
    rm -f "$FERRETDB_PIDFILE"
    start_detached ferretdb "$FERRETDB_PIDFILE" "$FERRETDB_LOG" \
        "$FERRETDB_BIN" -listen-addr "$HOST:$FERRETDB_PORT" -data-dir "$DATA_DIR/ferretdb"
}

ferretdb_wait() {
    wait_ready ferretdb "$FERRETDB_TIMEOUT" "$FERRETDB_LOG" "$FERRETDB_PIDFILE" ferretdb_ready
}

# ------------------------------------------------------------- keycloak ---

KC_PIDFILE="$RUN_DIR/keycloak.pid"
KC_LOG="$LOG_DIR/keycloak.log"
KC_WELL_KNOWN="http://$HOST:$KC_PORT/realms/flowra/.well-known/openid-configuration"

keycloak_ready() {
    [ "$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$KC_WELL_KNOWN" 2>/dev/null)" = "200" ]
}

keycloak_java_home() {
    if [ -x "$KC_JAVA_HOME/bin/java" ]; then
        echo "$KC_JAVA_HOME"
        return 0
    fi
    # Fallback: any JDK >= 21 under /usr/lib/jvm (Keycloak 26 needs Java 21+).
    local d v
    for d in /usr/lib/jvm/*/; do
        [ -x "$d/bin/java" ] || continue
        v="$("$d/bin/java" -XshowSettings:properties -version 2>&1 \
            | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')"
        if [ -n "$v" ] && [ "$v" -ge 21 ]; then
            echo "${d%/}"
            return 0
        fi
    done
    die "keycloak: no Java >= 21 found (looked for $KC_JAVA_HOME and /usr/lib/jvm/*)"
}

keycloak_install() {
    if [ -x "$KC_HOME/bin/kc.sh" ]; then
        return 0
    fi
    ensure_cmd mvn maven
    local t0 dl="$CACHE/keycloak/download"
    t0="$(now_us)"
    log "keycloak: fetching org.keycloak:keycloak-quarkus-dist:$KC_VERSION:tar.gz via Maven"
    mkdir -p "$dl"
    mkdir -p "$LOG_DIR"
    if ! mvn -q -B dependency:copy \
        "-Dartifact=org.keycloak:keycloak-quarkus-dist:$KC_VERSION:tar.gz" \
        "-DoutputDirectory=$dl" >"$LOG_DIR/keycloak-download.log" 2>&1; then
        show_log_tail keycloak-download "$LOG_DIR/keycloak-download.log"
        die "keycloak: Maven download failed"
    fi
    local tarball="$dl/keycloak-quarkus-dist-$KC_VERSION.tar.gz"
    [ -f "$tarball" ] || die "keycloak: $tarball missing after download"
    log "keycloak: downloaded in $(since "$t0"), extracting"
    local tmp="$CACHE/keycloak/.extract.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    tar -xzf "$tarball" -C "$tmp"
    [ -x "$tmp/keycloak-$KC_VERSION/bin/kc.sh" ] || die "keycloak: unexpected tarball layout"
    rm -rf "$KC_HOME"
    mv "$tmp/keycloak-$KC_VERSION" "$KC_HOME"
    rm -rf "$tmp" "$tarball"
    log "keycloak: installed ${KC_HOME#"$ROOT"/} in $(since "$t0")"
}

keycloak_start() {
    ensure_cmd curl curl
    if keycloak_ready; then
        log "keycloak: already answering on $HOST:$KC_PORT, reusing"
        return 0
    fi
    if pid_alive "$KC_PIDFILE"; then
        log "keycloak: pid $(cat "$KC_PIDFILE") still starting, waiting"
        return 0
    fi
    if tcp_open "$KC_PORT"; then
        die "keycloak: port $KC_PORT is taken but realm flowra is not served there"
    fi
    keycloak_install
    local java_home
    java_home="$(keycloak_java_home)"

    # --import-realm skips a realm that already exists, so when the realm file
    # changes, throw away the dev-mode H2 database and import afresh.
    local import_dir="$KC_HOME/data/import" realm_hash
    realm_hash="$(sha256sum "$KC_REALM_FILE" | cut -d' ' -f1)"
    if [ -d "$KC_HOME/data/h2" ] && [ "$(cat "$import_dir/.realm.sha256" 2>/dev/null)" != "$realm_hash" ]; then
        log "keycloak: realm file changed, resetting the dev database"
        rm -rf "$KC_HOME/data/h2"
    fi
    mkdir -p "$import_dir"
    cp "$KC_REALM_FILE" "$import_dir/flowra-realm.json"
    echo "$realm_hash" >"$import_dir/.realm.sha256"

    rm -f "$KC_PIDFILE"
    JAVA_HOME="$java_home" \
        JAVA_OPTS_KC_HEAP="$KC_HEAP" \
        KC_BOOTSTRAP_ADMIN_USERNAME=admin \
        KC_BOOTSTRAP_ADMIN_PASSWORD=admin \
        start_detached keycloak "$KC_PIDFILE" "$KC_LOG" \
        "$KC_HOME/bin/kc.sh" start-dev --http-port "$KC_PORT" --http-host "$HOST" --import-realm
}

keycloak_wait() {
    wait_ready keycloak "$KC_TIMEOUT" "$KC_LOG" "$KC_PIDFILE" keycloak_ready
}

# ----------------------------------------------------------------- main ---

usage() {
    echo "usage: $0 {up|down|status} [redis] [ferretdb] [keycloak]" >&2
    exit 2
}

select_services() {
    SELECTED=()
    if [ "$#" -eq 0 ]; then
        SELECTED=("${ALL_SERVICES[@]}")
        return
    fi
    local s
    for s in "$@"; do
        case "$s" in
            redis) SELECTED+=(redis) ;;
            ferretdb | mongo | mongodb) SELECTED+=(ferretdb) ;;
            keycloak | kc) SELECTED+=(keycloak) ;;
            *) echo "unknown service: $s" >&2; usage ;;
        esac
    done
}

is_selected() { [[ " ${SELECTED[*]} " == *" $1 "* ]]; }

# The browser of the web client's tests (tests/e2e): Debian's Chromium, driven by Playwright
# (whose own browser download is not reachable). Installed only when missing.
ensure_chromium() {
    [ -x /usr/bin/chromium ] && return 0
    apt_install chromium fonts-liberation fonts-noto-color-emoji
    [ -x /usr/bin/chromium ] || die "chromium not found even after installing it"
}

cmd_up() {
    mkdir -p "$BIN_DIR" "$DATA_DIR" "$LOG_DIR" "$RUN_DIR"
    local s failed=()
    # Launch everything first (Keycloak, the slowest, boots while FerretDB
    # builds), then wait for each to become ready.
    for s in keycloak redis ferretdb; do
        if is_selected "$s"; then
            "${s}_start"
        fi
    done
    ensure_chromium
    for s in keycloak redis ferretdb; do
        if is_selected "$s"; then
            "${s}_wait" || failed+=("$s")
        fi
    done
    if [ "${#failed[@]}" -gt 0 ]; then
        die "not ready: ${failed[*]}"
    fi
    log "up: ${SELECTED[*]} ready in $(since "$SCRIPT_START_US")"
}

cmd_down() {
    local s
    for s in "${SELECTED[@]}"; do
        case "$s" in
            redis) stop_pidfile redis "$REDIS_PIDFILE" ;;
            ferretdb) stop_pidfile ferretdb "$FERRETDB_PIDFILE" ;;
            keycloak) stop_pidfile keycloak "$KC_PIDFILE" ;;
        esac
    done
}

cmd_status() {
    local s ready pidfile endpoint owner rc=0
    for s in "${SELECTED[@]}"; do
        case "$s" in
            redis) pidfile=$REDIS_PIDFILE endpoint="redis://$HOST:$REDIS_PORT/0" ;;
            ferretdb) pidfile=$FERRETDB_PIDFILE endpoint="mongodb://$HOST:$FERRETDB_PORT" ;;
            keycloak) pidfile=$KC_PIDFILE endpoint="http://$HOST:$KC_PORT (realm flowra)" ;;
        esac
        ready=down
        if [ "$s" = redis ] && command -v redis-cli >/dev/null 2>&1 && redis_ready; then ready=up; fi
        if [ "$s" = ferretdb ] && ferretdb_ready; then ready=up; fi
        if [ "$s" = keycloak ] && keycloak_ready; then ready=up; fi
        if pid_alive "$pidfile"; then
            owner="pid $(cat "$pidfile"), started by services.sh"
        elif [ "$ready" = up ]; then
            owner="not started by services.sh"
        else
            owner="not running"
        fi
        printf '%-9s %-5s %s  [%s]\n' "$s" "$ready" "$endpoint" "$owner"
        [ "$ready" = up ] || rc=1
    done
    return "$rc"
}

[ "$#" -ge 1 ] || usage
CMD=$1
shift
select_services "$@"
case "$CMD" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *) usage ;;
esac
