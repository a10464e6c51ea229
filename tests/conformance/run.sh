#!/usr/bin/env bash
# Starts a server on a free port with a fresh data folder and its own shared
# memory, and runs ../shared/conformance/conformance.py against it.
#   tests/conformance/run.sh [SERVER_BINARY]
# The whole suite runs, nothing skipped or excluded.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
server="${1:-$root/build/run/backend-server}"
suite="$root/../shared/conformance/conformance.py"
[ -f "$suite" ] || { echo "conformance: $suite not found" >&2; exit 1; }

# shellcheck source-path=SCRIPTDIR source=../lib/server.sh
. "$root/tests/lib/server.sh"
port=$(free_port)
data=$(mktemp -d /tmp/conformance-data.XXXXXX)
shm="conformance-$$"
"$server" --listen "127.0.0.1:$port" --data-dir "$data/server" --shm-name "$shm" >"$data/server.out" 2>&1 &
pid=$!
cleanup() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

wait_for_server "$port" "$pid" || { echo "conformance: the server did not answer" >&2; cat "$data/server.out" >&2; exit 1; }

python3 "$suite" --port "$port"
