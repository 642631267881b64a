#!/usr/bin/env bash
# Cluster mode end to end: a 3-member etcd cluster on loopback, two stateless ferrodyn servers
# on it (`serve --storage etcd://.../PREFIX`, a fresh prefix every run), the conformance suite
# against each server in turn, then scripts/cluster_load.py: 32 threads of writes over both
# servers for 30 s while etcd member 2 and server B are killed (SIGKILL) at 10 s and restarted
# at 20 s (B first, while the member is still down, then the member), then checks of every
# acknowledged write, the all-or-nothing of transactions and the GSI through server A, and
# that all 3 members and both servers are healthy at the end. Exits non-zero if anything
# failed; prints a summary. A run takes about 2.5 minutes (the conformance suite is 15-70 s per
# server on etcd, the load 30 s plus its checks).
#
# Installs etcd (Debian's etcd-server and etcd-client) with apt-get when `etcd` is missing,
# and builds the release binary (`cargo build --release -p ferrodyn`) unless FERRODYN_BIN
# names one. Everything it starts is killed on exit, and its temporary folder removed (the
# tails of the logs are printed first when something failed).
#
# Env:
#   FERRODYN_BIN           server binary to use instead of building one
#   CLUSTER_CONFORMANCE    0 skips the conformance suite (default 1)
#   CLUSTER_PYTEST_ARGS    extra pytest arguments (e.g. "-x -k items")
#   CLUSTER_LOAD_ARGS      extra cluster_load.py arguments (e.g. "--duration 60 --threads 16")
#   CLUSTER_KILL_MEMBER    etcd member killed during the load: 1, 2 or 3, or "leader" (default 2)
#   CLUSTER_RESTART_ORDER  server-first (default): server B is restarted while the etcd member is
#                          still down, then the member; etcd-first: the member, once healthy, then B
#   CLUSTER_KEEP_DIR       1 keeps the temporary folder (logs, etcd data) on exit
#   ETCD_BIN, ETCDCTL_BIN  etcd and etcdctl to run (default: the ones on PATH)
#
# Internal: `cluster-test.sh _ctl kill|restart` (with CLUSTER_DIR set) is what cluster_load.py
# runs to kill and restart etcd member $CLUSTER_KILL_MEMBER and server B.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SELF="$ROOT/scripts/cluster-test.sh"
. scripts/lib/deps.sh

ETCD=${ETCD_BIN:-etcd}
ETCDCTL=${ETCDCTL_BIN:-etcdctl}

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

# ---- process control (shared by the main run and `_ctl`) ------------------------------------
# State lives in $CLUSTER_DIR: env (ports, URLs, binary), pids/<name>.pid, logs/<name>.log.

load_state() {
    : "${CLUSTER_DIR:?CLUSTER_DIR is not set}"
    # shellcheck disable=SC1091
    . "$CLUSTER_DIR/env"
}

# Starts etcd member $1 (1..3) in the background, keeping its data dir when it has one.
start_etcd() {
    local i=$1 cport pport
    cport=$(eval echo "\$ETCD_CLIENT_PORT_$i")
    pport=$(eval echo "\$ETCD_PEER_PORT_$i")
    "$ETCD" --name "m$i" --data-dir "$CLUSTER_DIR/etcd-m$i" \
        --listen-client-urls "http://127.0.0.1:$cport" \
        --advertise-client-urls "http://127.0.0.1:$cport" \
        --listen-peer-urls "http://127.0.0.1:$pport" \
        --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
        --initial-cluster "$ETCD_INITIAL_CLUSTER" \
        --initial-cluster-token "$ETCD_TOKEN" \
        --initial-cluster-state new \
        --max-txn-ops 100000 --max-request-bytes 33554432 \
        --auto-compaction-mode periodic --auto-compaction-retention 1h \
        </dev/null >>"$CLUSTER_DIR/logs/etcd-m$i.log" 2>&1 &
    echo $! >"$CLUSTER_DIR/pids/etcd-m$i.pid"
    disown $!  # no "Killed" notice from bash when it is killed
}

# Starts ferrodyn server $1 (A or B) in the background, in $CLUSTER_DIR (so that nothing it
# might write lands in the repository).
start_server() {
    local s=$1 port
    port=$(eval echo "\$SERVER_PORT_$s")
    (cd "$CLUSTER_DIR" && exec "$FERRODYN_BIN" serve --storage "$STORAGE_URL" --port "$port" \
        --no-throttle) </dev/null >>"$CLUSTER_DIR/logs/server-$s.log" 2>&1 &
    echo $! >"$CLUSTER_DIR/pids/server-$s.pid"
    disown $!
}

# Waits until etcd answers `endpoint health` on every member (or on $1 when given).
wait_etcd() {
    local eps=${1:-$ETCD_ENDPOINTS} deadline=$((SECONDS + 60))
    until ETCDCTL_API=3 "$ETCDCTL" --endpoints="$eps" --dial-timeout=2s --command-timeout=3s \
        endpoint health >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ]; then
            say "etcd not healthy after 60 s ($eps)"
            ETCDCTL_API=3 "$ETCDCTL" --endpoints="$eps" endpoint health || true
            return 1
        fi
        sleep 0.2
    done
}

# Waits until server $1 (A or B) answers ListTables with HTTP 200.
wait_server() {
    local s=$1 port
    port=$(eval echo "\$SERVER_PORT_$s")
    python3 - "http://127.0.0.1:$port" "$CLUSTER_DIR/pids/server-$s.pid" <<'PY'
import json, os, sys, time, urllib.request
url, pidfile = sys.argv[1], sys.argv[2]
headers = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/dynamodb/aws4_request, "
                     "SignedHeaders=host, Signature=abc",
}
deadline = time.monotonic() + 60
last = None
while time.monotonic() < deadline:
    pid = int(open(pidfile).read())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("server at %s exited (pid %d)" % (url, pid))
    try:
        req = urllib.request.Request(url, data=b"{}", headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=3) as r:
            if r.status == 200 and "TableNames" in json.loads(r.read()):
                sys.exit(0)
    except Exception as e:  # not listening yet, or not ready
        last = e
    time.sleep(0.2)
sys.exit("server at %s does not answer ListTables after 60 s: %s" % (url, last))
PY
}

pid_of() { cat "$CLUSTER_DIR/pids/$1.pid" 2>/dev/null || true; }

# The member to kill: $CLUSTER_KILL_MEMBER, or the current leader for "leader".
pick_member() {
    if [ "$KILL_MEMBER" != leader ]; then
        echo "$KILL_MEMBER"
        return
    fi
    local i cport
    for i in 1 2 3; do
        cport=$(eval echo "\$ETCD_CLIENT_PORT_$i")
        if ETCDCTL_API=3 "$ETCDCTL" --endpoints="http://127.0.0.1:$cport" endpoint status \
            -w json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]["Status"]
sys.exit(0 if s["leader"] == s["header"]["member_id"] else 1)'; then
            echo "$i"
            return
        fi
    done
    echo 2
}

ctl() {
    load_state
    case "$1" in
        kill)
            local m pe pb
            m=$(pick_member)
            echo "$m" >"$CLUSTER_DIR/killed-member"
            pe=$(pid_of "etcd-m$m")
            pb=$(pid_of server-B)
            kill -KILL "$pe" "$pb" 2>/dev/null || true
            echo "killed etcd member m$m (pid $pe) and server B (pid $pb)"
            ;;
        restart)
            local m
            m=$(cat "$CLUSTER_DIR/killed-member" 2>/dev/null || echo 2)
            if [ "$RESTART_ORDER" = etcd-first ]; then
                start_etcd "$m"
                wait_etcd
                echo "restarted etcd member m$m (pid $(pid_of "etcd-m$m")): healthy"
                start_server B
                wait_server B
                echo "restarted server B (pid $(pid_of server-B)): answers ListTables"
            else
                # B starts while the member is still down: a server must start on a
                # majority of the cluster. The member is restarted even when B fails.
                local rc=0
                start_server B
                if wait_server B; then
                    echo "restarted server B (pid $(pid_of server-B)) with member m$m down: answers ListTables"
                else
                    echo "server B did not start while etcd member m$m was down"
                    rc=1
                fi
                start_etcd "$m"
                wait_etcd
                echo "restarted etcd member m$m (pid $(pid_of "etcd-m$m")): all 3 members healthy"
                return $rc
            fi
            ;;
        *)
            say "unknown _ctl command: $1"
            return 2
            ;;
    esac
}

if [ "${1:-}" = _ctl ]; then
    shift
    ctl "$@"
    exit
fi

# ---- main run ---------------------------------------------------------------------------------

T_START=$(now)
CONFORMANCE=${CLUSTER_CONFORMANCE:-1}
KILL_MEMBER=${CLUSTER_KILL_MEMBER:-2}
RESTART_ORDER=${CLUSTER_RESTART_ORDER:-server-first}
case "$RESTART_ORDER" in server-first | etcd-first) ;; *)
    say "CLUSTER_RESTART_ORDER must be server-first or etcd-first"
    exit 2
    ;;
esac

# etcd (Debian: etcd-server has etcd, etcd-client has etcdctl).
if ! command -v "$ETCD" >/dev/null 2>&1 || ! command -v "$ETCDCTL" >/dev/null 2>&1; then
    if ! command -v apt-get >/dev/null 2>&1; then
        say "etcd/etcdctl not found and no apt-get: install etcd 3.4+ (etcd and etcdctl) first"
        exit 1
    fi
    say "installing etcd-server and etcd-client with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server etcd-client >/dev/null \
        || { as_root apt-get update -qq \
            && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server etcd-client >/dev/null; }
fi
need_python_packages

# The server binary.
if [ -z "${FERRODYN_BIN:-}" ]; then
    need_cargo
    need_libclang
    use_clang
    if declare -F need_protoc >/dev/null; then need_protoc; fi  # the etcd client's build
    say "building the release binary (cargo build --release -p ferrodyn)"
    T=$(now)
    cargo build --release -p ferrodyn
    TARGET_DIR=$(cargo metadata --format-version 1 --no-deps \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    FERRODYN_BIN="$TARGET_DIR/release/ferrodyn"
    T_BUILD=$(elapsed "$T" "$(now)")
else
    T_BUILD=0
fi
FERRODYN_BIN=$(cd "$(dirname "$FERRODYN_BIN")" && pwd)/$(basename "$FERRODYN_BIN")
HELP=$("$FERRODYN_BIN" serve --help)
if ! grep -q -- '--storage' <<<"$HELP"; then
    say "$FERRODYN_BIN has no 'serve --storage' (cluster mode): build a newer one"
    exit 1
fi

CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ferrodyn-cluster.XXXXXX")
export CLUSTER_DIR
mkdir -p "$CLUSTER_DIR/pids" "$CLUSTER_DIR/logs"

cleanup() {
    local rc=$? f pid n
    set +e
    trap - EXIT INT TERM
    # Stop everything started (by this script or by `_ctl restart`): TERM, then KILL after 5 s.
    for f in "$CLUSTER_DIR"/pids/*.pid; do
        [ -e "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
    done
    for n in $(seq 50); do
        local alive=0
        for f in "$CLUSTER_DIR"/pids/*.pid; do
            [ -e "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1
        done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for f in "$CLUSTER_DIR"/pids/*.pid; do
        [ -e "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
    done
    if [ "$rc" != 0 ]; then
        for f in "$CLUSTER_DIR"/logs/*.log; do
            [ -s "$f" ] || continue
            printf '\n===== last 40 lines of %s =====\n' "$(basename "$f")" >&2
            tail -n 40 "$f" >&2
        done
    fi
    if [ "${CLUSTER_KEEP_DIR:-0}" = 1 ]; then
        say "kept $CLUSTER_DIR"
    else
        rm -rf "$CLUSTER_DIR"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Free loopback ports: 3 x (client, peer) for etcd, 2 for the servers, all bound at once so
# that they differ.
read -r -a PORTS <<<"$(python3 -c '
import socket
socks = [socket.socket() for _ in range(8)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()')"
PREFIX="ct-$(date +%s)-$$-$RANDOM"
ENDPOINTS="" INITIAL="" HOSTS=""
for i in 1 2 3; do
    c=${PORTS[$((2 * i - 2))]} p=${PORTS[$((2 * i - 1))]}
    ENDPOINTS="${ENDPOINTS:+$ENDPOINTS,}http://127.0.0.1:$c"
    INITIAL="${INITIAL:+$INITIAL,}m$i=http://127.0.0.1:$p"
    HOSTS="${HOSTS:+$HOSTS,}127.0.0.1:$c"
done
cat >"$CLUSTER_DIR/env" <<EOF
ETCD_CLIENT_PORT_1=${PORTS[0]}
ETCD_PEER_PORT_1=${PORTS[1]}
ETCD_CLIENT_PORT_2=${PORTS[2]}
ETCD_PEER_PORT_2=${PORTS[3]}
ETCD_CLIENT_PORT_3=${PORTS[4]}
ETCD_PEER_PORT_3=${PORTS[5]}
SERVER_PORT_A=${PORTS[6]}
SERVER_PORT_B=${PORTS[7]}
ETCD_ENDPOINTS=$ENDPOINTS
ETCD_INITIAL_CLUSTER=$INITIAL
ETCD_TOKEN=ferrodyn-ct-$$-$RANDOM
STORAGE_URL=etcd://$HOSTS/$PREFIX
FERRODYN_BIN='$FERRODYN_BIN'
KILL_MEMBER=$KILL_MEMBER
RESTART_ORDER=$RESTART_ORDER
EOF
load_state
URL_A="http://127.0.0.1:$SERVER_PORT_A"
URL_B="http://127.0.0.1:$SERVER_PORT_B"

say "etcd cluster on $ETCD_ENDPOINTS (data and logs in $CLUSTER_DIR)"
T=$(now)
for i in 1 2 3; do start_etcd "$i"; done
wait_etcd
T_ETCD=$(elapsed "$T" "$(now)")
say "etcd healthy after ${T_ETCD} s"

say "servers A=$URL_A and B=$URL_B on $STORAGE_URL"
T=$(now)
start_server A
start_server B
wait_server A
wait_server B
T_SERVERS=$(elapsed "$T" "$(now)")
say "both servers answer ListTables after ${T_SERVERS} s"

FAILED=()
declare -A RESULT TIME
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1 PYTHONDONTWRITEBYTECODE=1

if [ "$CONFORMANCE" = 1 ]; then
    for s in A B; do
        url=$(eval echo "\$URL_$s")
        say "conformance suite against server $s ($url)"
        T=$(now)
        # shellcheck disable=SC2086
        if FERRODYN_ENDPOINT=$url python3 -m pytest -q -p no:cacheprovider conformance \
            ${CLUSTER_PYTEST_ARGS:-} 2>&1 | tee "$CLUSTER_DIR/logs/conformance-$s.log"; then
            RESULT[conf$s]=ok
        else
            RESULT[conf$s]=FAILED
            FAILED+=("conformance on $s")
        fi
        TIME[conf$s]=$(elapsed "$T" "$(now)")
        RESULT[conf$s]="${RESULT[conf$s]} ($(grep -E '[0-9]+ (passed|failed|error)' \
            "$CLUSTER_DIR/logs/conformance-$s.log" | tail -1 | sed 's/^=* *//; s/ *=*$//'))"
    done
fi

say "load: scripts/cluster_load.py (kills etcd member ${KILL_MEMBER} and server B at 10 s, restarts them at 20 s, $RESTART_ORDER)"
T=$(now)
# shellcheck disable=SC2086
if python3 scripts/cluster_load.py --a "$URL_A" --b "$URL_B" \
    --kill-cmd "$SELF _ctl kill" --restart-cmd "$SELF _ctl restart" \
    --summary-file "$CLUSTER_DIR/load-summary" ${CLUSTER_LOAD_ARGS:-} \
    2>&1 | tee "$CLUSTER_DIR/logs/load.log"; then
    RESULT[load]=ok
else
    RESULT[load]=FAILED
    FAILED+=("load")
fi
TIME[load]=$(elapsed "$T" "$(now)")
[ -s "$CLUSTER_DIR/load-summary" ] && RESULT[load]="${RESULT[load]} ($(cat "$CLUSTER_DIR/load-summary"))"

# The cluster survived the run: every member and both servers still answer.
if wait_etcd && wait_server A && wait_server B; then
    RESULT[after]="etcd healthy (3 members), both servers answer"
else
    RESULT[after]=FAILED
    FAILED+=("cluster health after the load")
fi

echo
echo "===== cluster test summary ====="
echo "binary:        $FERRODYN_BIN"
[ "$T_BUILD" != 0 ] && echo "build:         ${T_BUILD} s"
echo "etcd:          3 members ($ETCD_ENDPOINTS), healthy after ${T_ETCD} s"
echo "servers:       A=$URL_A B=$URL_B on prefix $PREFIX, ready after ${T_SERVERS} s"
if [ "$CONFORMANCE" = 1 ]; then
    echo "conformance A: ${RESULT[confA]} in ${TIME[confA]} s"
    echo "conformance B: ${RESULT[confB]} in ${TIME[confB]} s"
else
    echo "conformance:   skipped (CLUSTER_CONFORMANCE=0)"
fi
echo "load:          ${RESULT[load]} in ${TIME[load]} s"
echo "after:         ${RESULT[after]}"
echo "total:         $(elapsed "$T_START" "$(now)") s"
if [ ${#FAILED[@]} -gt 0 ]; then
    echo "FAILED:        ${FAILED[*]}"
    exit 1
fi
echo "all passed"
