#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: the same `ferrodyn bench` workloads against ferrodyn (release
# build, RocksDB in a temporary directory) and against dynalite (npm package, LevelDB in a
# temporary directory), one server after the other, both on 127.0.0.1 of this machine.
#
#   scripts/bench.sh                     # 10 s per workload, 64 connections, 1 KB items
#   DURATION=60 scripts/bench.sh         # longer runs
#   OUT=/tmp/b.md scripts/bench.sh       # write somewhere else
#
# Settings (environment): DURATION (s per workload), CONNECTIONS, ITEM_SIZE, KEYS,
# PARTITIONS, WORKLOADS (comma-separated), OUT, DYNALITE_DIR (where the npm package is
# installed, outside the repository), DYNALITE_VERSION, CARGO_TARGET_DIR, GIT_COMMIT (shown
# instead of `git rev-parse` when set).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
ITEM_SIZE=${ITEM_SIZE:-1024}
KEYS=${KEYS:-10000}
PARTITIONS=${PARTITIONS:-100}
WORKLOADS=${WORKLOADS:-put,get,mixed95,mixed50,query10,query100,batchwrite,scan}
OUT=${OUT:-$ROOT/BENCHMARKS.md}
DYNALITE_VERSION=${DYNALITE_VERSION:-4.0.0}
DYNALITE_DIR=${DYNALITE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ferrodyn-bench/dynalite-$DYNALITE_VERSION}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

WORK=$(mktemp -d -t ferrodyn-bench.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "bench.sh: $*" >&2; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until something accepts connections on 127.0.0.1:$1.
wait_port() {
    for _ in $(seq 1 200); do
        if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    log "nothing listening on port $1"
    return 1
}

# 1. Build. The binary is copied so that another build in the same target dir cannot
#    replace it during the run.
log "building ferrodyn (release)"
(cd "$ROOT" && cargo build --release -p ferrodyn)
BIN="$WORK/ferrodyn"
cp "$TARGET_DIR/release/ferrodyn" "$BIN"

# 2. dynalite, installed once outside the repository.
if [ ! -x "$DYNALITE_DIR/node_modules/.bin/dynalite" ]; then
    log "installing dynalite@$DYNALITE_VERSION into $DYNALITE_DIR"
    mkdir -p "$DYNALITE_DIR"
    npm install --prefix "$DYNALITE_DIR" --no-audit --no-fund "dynalite@$DYNALITE_VERSION" >&2
fi
DYNALITE_JS="$DYNALITE_DIR/node_modules/dynalite/cli.js"

BENCH_OPTS=(--duration "$DURATION" --connections "$CONNECTIONS" --item-size "$ITEM_SIZE"
    --keys "$KEYS" --partitions "$PARTITIONS" --workload "$WORKLOADS" --json)

# What else was running: the load average just before the runs (a build above raises it).
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# 3. ferrodyn
FPORT=$(free_port)
FERRODYN_CMD=("$BIN" serve --bind 127.0.0.1 --port "$FPORT" --data-dir "$WORK/ferrodyn-data")
log "starting: ${FERRODYN_CMD[*]}"
RUST_LOG=warn "${FERRODYN_CMD[@]}" >"$WORK/ferrodyn.out" 2>"$WORK/ferrodyn.err" &
FPID=$!
PIDS+=("$FPID")
wait_port "$FPORT"
FBENCH_CMD=("$BIN" bench --endpoint "http://127.0.0.1:$FPORT" --server-pid "$FPID" "${BENCH_OPTS[@]}")
log "running: ${FBENCH_CMD[*]}"
"${FBENCH_CMD[@]}" >"$WORK/ferrodyn.json" 2>"$WORK/ferrodyn.table"
cat "$WORK/ferrodyn.table" >&2
kill -TERM "$FPID"
wait "$FPID" || true

# 4. dynalite
DPORT=$(free_port)
DYNALITE_CMD=(node "$DYNALITE_JS" --host 127.0.0.1 --port "$DPORT" --createTableMs 0 --path "$WORK/dynalite-data")
log "starting: ${DYNALITE_CMD[*]}"
"${DYNALITE_CMD[@]}" >"$WORK/dynalite.out" 2>&1 &
DPID=$!
PIDS+=("$DPID")
wait_port "$DPORT"
DBENCH_CMD=("$BIN" bench --endpoint "http://127.0.0.1:$DPORT" --server-pid "$DPID" "${BENCH_OPTS[@]}")
log "running: ${DBENCH_CMD[*]}"
"${DBENCH_CMD[@]}" >"$WORK/dynalite.json" 2>"$WORK/dynalite.table"
cat "$WORK/dynalite.table" >&2
kill -TERM "$DPID"
wait "$DPID" 2>/dev/null || true

# 5. BENCHMARKS.md. Temporary paths and ports are shown as placeholders.
show() {
    local s="$*"
    s=${s//$WORK/\$TMP}
    s=${s//$DYNALITE_DIR/\$DYNALITE_DIR}
    s=${s//--server-pid $FPID/--server-pid \$SERVER_PID}
    s=${s//--server-pid $DPID/--server-pid \$SERVER_PID}
    s=${s//:$FPORT/:\$PORT}
    s=${s//:$DPORT/:\$PORT}
    s=${s//--port $FPORT/--port \$PORT}
    s=${s//--port $DPORT/--port \$PORT}
    echo "$s"
}
COMMIT=${GIT_COMMIT:-$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)}
if [ -z "${GIT_COMMIT:-}" ] && [ -n "$(cd "$ROOT" && git status --porcelain 2>/dev/null)" ]; then
    COMMIT="$COMMIT (with uncommitted changes)"
fi
export B_FJSON="$WORK/ferrodyn.json" B_DJSON="$WORK/dynalite.json"
export B_FTABLE="$WORK/ferrodyn.table" B_DTABLE="$WORK/dynalite.table"
export B_LOAD_BEFORE="$LOAD_BEFORE" B_NPROC="$(nproc)" B_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" B_COMMIT="$COMMIT"
export B_CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
export B_MEM="$(grep MemTotal /proc/meminfo | awk '{printf "%.1f GiB", $2/1048576}')"
export B_NODE="$(node --version)" B_DYNALITE="$DYNALITE_VERSION" B_RUSTC="$(rustc --version)"
export B_DURATION="$DURATION" B_CONNECTIONS="$CONNECTIONS" B_ITEM_SIZE="$ITEM_SIZE"
export B_KEYS="$KEYS" B_PARTITIONS="$PARTITIONS"
export B_CMD_FSERVE="$(show "${FERRODYN_CMD[*]}")" B_CMD_FBENCH="$(show "${FBENCH_CMD[*]}")"
export B_CMD_DSERVE="$(show "${DYNALITE_CMD[*]}")" B_CMD_DBENCH="$(show "${DBENCH_CMD[*]}")"
python3 - "$OUT" <<'PY'
import json, os, sys

e = os.environ
f = json.load(open(e["B_FJSON"]))
d = json.load(open(e["B_DJSON"]))
dres = {r["workload"]: r for r in d["results"]}

def table(path):
    return "\n".join(l for l in open(path).read().splitlines() if not l.startswith("ferrodyn bench:"))

def ms(us):
    return f"{us / 1000:.2f}"

def errs(r):
    n = sum(r["errors"].values())
    return "" if n == 0 else " (" + ", ".join(f"{k} {v}" for k, v in r["errors"].items()) + ")"

rows = []
for r in f["results"]:
    w = r["workload"]
    o = dres.get(w)
    ratio = (f"{r['ops_per_sec'] / o['ops_per_sec']:.1f}×" if o and o["ops_per_sec"] > 0 else "–")
    rows.append(
        f"| {w} | {r['ops_per_sec']:,.0f}{errs(r)} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | "
        + (f"{o['ops_per_sec']:,.0f}{errs(o)} | {ms(o['p50_us'])} | {ms(o['p99_us'])} | " if o else "– | – | – | ")
        + f"{ratio} |"
    )

def rss(r):
    return "–" if r.get("rss_kib") is None else f"{r['rss_kib'] / 1024:.0f}"

rss_rows = []
for r in f["results"]:
    o = dres.get(r["workload"], {})
    rss_rows.append(
        f"| {r['workload']} | {ms(r['p999_us'])} | {rss(r)} | {ms(o.get('p999_us', 0))} | {rss(o) if o else '–'} |"
    )

doc = f"""# Benchmarks

Produced by `scripts/bench.sh` (issue 7): the same `ferrodyn bench` workloads against
ferrodyn and against dynalite {e['B_DYNALITE']} (the Node.js DynamoDB emulator, the
yardstick), one after the other, client and server on the same machine over 127.0.0.1.

- date: {e['B_DATE']}
- commit: {e['B_COMMIT']}
- `nproc`: {e['B_NPROC']} ({e['B_CPU']}, {e['B_MEM']})
- {e['B_RUSTC']}; node {e['B_NODE']}
- settings: {e['B_DURATION']} s per workload, {e['B_CONNECTIONS']} keep-alive connections,
  {e['B_ITEM_SIZE']}-byte items, {e['B_KEYS']} keys, {e['B_PARTITIONS']} partitions of 100 items;
  every request SigV4-signed
- ferrodyn on disk (RocksDB, WAL synced before each answer); dynalite on disk (`--path`)

**How much to trust the figures.** The load generator and the server under test share the
machine's {e['B_NPROC']} cores: a server that needs less CPU leaves more to the client, and the
client's own cost bounds every figure (see the notes below the table for that bound). The load
average (1, 5, 15 min) just before the runs was {e['B_LOAD_BEFORE']}; the release build this
script starts with counts in it.
Each workload ran {e['B_DURATION']} s; repeated runs differ by several per cent, so compare
small differences only over repeated or longer runs (`DURATION`).

## Results

ops/s counts requests: one batchwrite is 25 items, one query or scan is one page. Latency in
milliseconds, measured by the client from sending the request to the last byte of the answer.
Ratio is ferrodyn ops/s over dynalite ops/s.

| workload | ferrodyn ops/s | p50 | p99 | dynalite ops/s | p50 | p99 | ratio |
|---|---:|---:|---:|---:|---:|---:|---:|
""" + "\n".join(rows) + """

Tail latency and the server's resident memory (VmRSS, MiB) after each workload:

| workload | ferrodyn p99.9 | ferrodyn RSS | dynalite p99.9 | dynalite RSS |
|---|---:|---:|---:|---:|
""" + "\n".join(rss_rows) + f"""

## Commands

```sh
scripts/bench.sh   # DURATION={e['B_DURATION']} CONNECTIONS={e['B_CONNECTIONS']} ITEM_SIZE={e['B_ITEM_SIZE']} KEYS={e['B_KEYS']} PARTITIONS={e['B_PARTITIONS']}
```

which runs (`$TMP` a fresh temporary directory, `$TMP/ferrodyn` a copy of the release
binary, `$PORT` a free port, `$SERVER_PID` the server just started):

```sh
cargo build --release -p ferrodyn
{e['B_CMD_FSERVE']}
{e['B_CMD_FBENCH']}
npm install --prefix $DYNALITE_DIR dynalite@{e['B_DYNALITE']}
{e['B_CMD_DSERVE']}
{e['B_CMD_DBENCH']}
```

`ferrodyn bench --help` lists the options; it works against any plain-HTTP DynamoDB endpoint.

## Raw output

ferrodyn:

```
""" + table(e["B_FTABLE"]) + """
```

dynalite:

```
""" + table(e["B_DTABLE"]) + """
```
"""
open(sys.argv[1], "w").write(doc)
PY
log "wrote $OUT"
