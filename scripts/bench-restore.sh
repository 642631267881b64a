#!/usr/bin/env bash
# Restore under load (BENCHMARKS.md, "Backups and restores"): a table of ITEMS items of
# ITEM_SIZE bytes (1 GB by default) is backed up and restored with `ferrodyn backup
# restore` while `ferrodyn bench` runs GetItem on another table; the GetItem figures are
# compared with the same load before the restore. Release build, RocksDB in a temporary
# directory, everything on 127.0.0.1 of this machine.
#
#   scripts/bench-restore.sh                 # 1 000 000 items of 1 KB
#   ITEMS=100000 scripts/bench-restore.sh    # smaller
#
# Settings (environment): ITEMS, ITEM_SIZE, CONNECTIONS (of the GetItem load), DURATION (s of
# the baseline load), PORT, CARGO_TARGET_DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ITEMS=${ITEMS:-1000000}
ITEM_SIZE=${ITEM_SIZE:-1024}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-20}
PORT=${PORT:-8123}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET_DIR/release/ferrodyn
ENDPOINT=http://127.0.0.1:$PORT

WORK=$(mktemp -d -t ferrodyn-restore.XXXXXX)
SERVER=
cleanup() {
    [ -n "$SERVER" ] && { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
    rm -rf "$WORK"
}
trap cleanup EXIT
log() { echo "bench-restore.sh: $*" >&2; }

(cd "$ROOT" && cargo build --release -p ferrodyn)
"$BIN" serve --data-dir "$WORK/data" --port "$PORT" --no-throttle >"$WORK/server.log" 2>&1 &
SERVER=$!
until grep -q "listening on" "$WORK/server.log"; do sleep 0.1; done

log "loading $ITEMS items of $ITEM_SIZE bytes into table big"
start=$(date +%s.%N)
"$BIN" bench --endpoint "$ENDPOINT" -w get --table big --keys "$ITEMS" --item-size "$ITEM_SIZE" \
    --ops 1 -c "$CONNECTIONS" >/dev/null 2>&1
log "loaded in $(echo "$(date +%s.%N) - $start" | bc) s"
"$BIN" bench --endpoint "$ENDPOINT" -w get --table small --keys 10000 --item-size "$ITEM_SIZE" \
    --ops 1 >/dev/null 2>&1

get_load() {
    "$BIN" bench --endpoint "$ENDPOINT" -w get --table small --keys 10000 --item-size "$ITEM_SIZE" \
        --skip-setup -c "$CONNECTIONS" "$@" --json 2>/dev/null
}

log "baseline: GetItem on table small for $DURATION s"
get_load -d "$DURATION" >"$WORK/baseline.json"

log "backup of big"
"$BIN" backup create --endpoint "$ENDPOINT" --table big --name big-bench | tee "$WORK/backup.txt"
ARN=$(awk '$1 == "ARN" {print $2}' "$WORK/backup.txt")

log "restore of big into big2, with GetItem on table small meanwhile (5 s runs)"
"$BIN" backup restore --endpoint "$ENDPOINT" --backup-arn "$ARN" --target big2 \
    >"$WORK/restore.txt" 2>&1 &
RESTORE=$!
runs=0
while kill -0 "$RESTORE" 2>/dev/null; do
    runs=$((runs + 1))
    get_load -d 5 >"$WORK/during-$runs.json"
done
wait "$RESTORE"
cat "$WORK/restore.txt"

echo "cores: $(nproc)"
python3 - "$WORK"/baseline.json "$WORK"/during-*.json <<'PY'
import json, sys
def line(path):
    w = json.load(open(path))["results"][0]
    return w, (f"{w['ops_per_sec']:.0f} GetItem/s, p50 {w['p50_us']/1000:.2f} ms, "
               f"p99 {w['p99_us']/1000:.2f} ms, p99.9 {w['p999_us']/1000:.2f} ms, "
               f"max {w['max_us']/1000:.2f} ms, errors {sum(w['errors'].values())}")
_, text = line(sys.argv[1])
print(f"GetItem before the restore: {text}")
worst = 0
for n, path in enumerate(sys.argv[2:], 1):
    w, text = line(path)
    worst = max(worst, w["p99_us"])
    print(f"GetItem during the restore, run {n}: {text}")
print(f"worst p99 during the restore: {worst/1000:.2f} ms")
PY
