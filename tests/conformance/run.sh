#!/usr/bin/env bash
# Starts a server on free ports with a fresh data folder and its own shared
# memory, and runs ../shared/conformance/conformance.py against it twice:
# through the socket protocol, then through the HTTP face (--http-port,
# where the suite itself skips the checks of the socket framing).
#   tests/conformance/run.sh [SERVER_BINARY]
# Nothing else is skipped or excluded.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
server="${1:-$root/build/run/backend-server}"
suite="$root/../shared/conformance/conformance.py"
[ -f "$suite" ] || { echo "conformance: $suite not found" >&2; exit 1; }

# shellcheck source-path=SCRIPTDIR source=../lib/server.sh
. "$root/tests/lib/server.sh"
port=$(free_port)
http_port=$(free_port)
data=$(mktemp -d /tmp/conformance-data.XXXXXX)
shm="conformance-$$"
"$server" --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$http_port" --data-dir "$data/server" \
  --shm-name "$shm" >"$data/server.out" 2>&1 &
pid=$!
cleanup() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

wait_for_server "$port" "$pid" || { echo "conformance: the server did not answer" >&2; cat "$data/server.out" >&2; exit 1; }

python3 "$suite" --port "$port"
python3 "$suite" --port "$port" --http-port "$http_port"
