#!/usr/bin/env bash
# Cluster mode's figures (issue 21; BENCHMARKS.md, "Cluster mode"), in one run beside the
# embedded engine's: `ferrodyn bench` (put, get, query10; 64 connections, 1 KB items) against
#   1. one server on RocksDB (the embedded default),
#   1b. one server on a single-member etcd,
#   2. one server on a three-member etcd cluster on this machine,
#   3. two servers on that cluster, 32 connections each, at the same time (the sum counts).
# etcd runs with the settings the README gives (--max-txn-ops, --max-request-bytes,
# --quota-backend-bytes, compaction), fsyncing every commit (its default; never turned off).
#   DURATION=15 scripts/bench-cluster.sh        # seconds per workload
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
need_etcd
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferrodyn/target}"
DURATION="${DURATION:-15}"
BIN="${FERRODYN_BIN:-}"
if [ -z "$BIN" ]; then
    cargo build --release -q -p ferrodyn
    BIN="$CARGO_TARGET_DIR/release/ferrodyn"
fi
TMP="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A ferrodyn server: start_server NAME ARGS... ; sets PORT_<NAME> and PID_<NAME>.
start_server() {
    local name="$1"; shift
    local port; port="$(free_port)"
    "$BIN" serve --port "$port" --no-throttle "$@" >"$TMP/$name.log" 2>&1 &
    PIDS+=("$!")
    eval "PORT_$name=$port PID_$name=$!"
    for _ in $(seq 100); do
        grep -q "ferrodyn listening" "$TMP/$name.log" && return 0
        sleep 0.1
    done
    echo "server $name did not start:"; cat "$TMP/$name.log"; exit 1
}

bench() { # bench PORT EXTRA... : prints JSON results
    local port="$1"; shift
    "$BIN" bench --endpoint "http://127.0.0.1:$port" --item-size 1024 \
        --keys 10000 --partitions 100 --json "$@" 2>>"$TMP/bench.err" \
        || { echo "bench failed:"; tail -20 "$TMP/bench.err"; exit 1; }
}

summary() { # summary LABEL FILE... : one line per workload, throughput summed over files
    python3 - "$@" <<'PY'
import json, sys
label, files = sys.argv[1], sys.argv[2:]
by = {}
for f in files:
    for w in json.load(open(f))["results"]:
        by.setdefault(w["workload"], []).append(w)
for name, ws in by.items():
    ops = sum(w["ops_per_sec"] for w in ws)
    p99 = max(w["p99_us"] for w in ws) / 1000
    errs = sum(sum(w["errors"].values()) for w in ws)
    print(f"{label:<28} {name:<8} {ops:>10.0f} ops/s   p99 {p99:6.2f} ms   errors {errs}")
PY
}

echo "machine: $(nproc) cores; etcd $(etcd --version | head -1 | awk '{print $3}'); ${DURATION}s per workload"

# 1. Embedded.
start_server rocks --data-dir "$TMP/rocks"
bench "$PORT_rocks" -c 64 -d "$DURATION" -w put,get,query10 >"$TMP/rocks.json"
kill -9 "$PID_rocks"

# 1b. One server on a single-member etcd (the same settings).
P1="$(free_port)"; Q1="$(free_port)"
etcd --name solo --data-dir "$TMP/etcd-solo" \
    --listen-client-urls "http://127.0.0.1:$P1" --advertise-client-urls "http://127.0.0.1:$P1" \
    --listen-peer-urls "http://127.0.0.1:$Q1" --initial-advertise-peer-urls "http://127.0.0.1:$Q1" \
    --initial-cluster "solo=http://127.0.0.1:$Q1" --initial-cluster-state new \
    --max-txn-ops 100000 --max-request-bytes 33554432 --quota-backend-bytes 8589934592 \
    --auto-compaction-mode periodic --auto-compaction-retention 1h >"$TMP/etcd-solo.log" 2>&1 &
SOLO=$!
PIDS+=("$SOLO")
start_server solo --storage "etcd://127.0.0.1:$P1/bench0"
bench "$PORT_solo" -c 64 -d "$DURATION" -w put,get,query10 >"$TMP/solo.json"
kill -9 "$PID_solo" "$SOLO"

# A three-member etcd cluster.
CLUSTER=""
ENDPOINTS=""
declare -a CP PP
for i in 0 1 2; do
    CP[$i]="$(free_port)"; PP[$i]="$(free_port)"
    CLUSTER+="${CLUSTER:+,}m$i=http://127.0.0.1:${PP[$i]}"
    ENDPOINTS+="${ENDPOINTS:+,}127.0.0.1:${CP[$i]}"
done
for i in 0 1 2; do
    etcd --name "m$i" --data-dir "$TMP/etcd$i" \
        --listen-client-urls "http://127.0.0.1:${CP[$i]}" --advertise-client-urls "http://127.0.0.1:${CP[$i]}" \
        --listen-peer-urls "http://127.0.0.1:${PP[$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${PP[$i]}" \
        --initial-cluster "$CLUSTER" --initial-cluster-state new \
        --max-txn-ops 100000 --max-request-bytes 33554432 --quota-backend-bytes 8589934592 \
        --auto-compaction-mode periodic --auto-compaction-retention 1h >"$TMP/etcd$i.log" 2>&1 &
    PIDS+=("$!")
done

# 2. One server on the cluster.
start_server one --storage "etcd://$ENDPOINTS/bench1"
bench "$PORT_one" -c 64 -d "$DURATION" -w put,get,query10 >"$TMP/one.json"

# 3. Two servers on the cluster, loaded at once (the table is set up through the first).
start_server two_a --storage "etcd://$ENDPOINTS/bench2"
start_server two_b --storage "etcd://$ENDPOINTS/bench2"
bench "$PORT_two_a" -c 8 -d 1 -w get,query10 >/dev/null
for w in put get query10; do
    bench "$PORT_two_a" -c 32 -d "$DURATION" -w "$w" --skip-setup >"$TMP/two_a_$w.json" &
    a=$!
    bench "$PORT_two_b" -c 32 -d "$DURATION" -w "$w" --skip-setup >"$TMP/two_b_$w.json" &
    b=$!
    wait "$a" "$b"
done

echo
summary "RocksDB, 1 server" "$TMP/rocks.json"
summary "etcd x1, 1 server" "$TMP/solo.json"
summary "etcd x3, 1 server" "$TMP/one.json"
for w in put get query10; do
    summary "etcd x3, 2 servers (sum)" "$TMP/two_a_$w.json" "$TMP/two_b_$w.json"
done
