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


port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d /tmp/conformance-data.XXXXXX)
shm="conformance-$$"
"$server" --listen "127.0.0.1:$port" --data-dir "$data" --shm-name "$shm" >"$data/server.out" 2>&1 &
pid=$!
cleanup() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 100); do
  python3 - "$port" <<'PY' && break
import socket, struct, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2)
    s.sendall(struct.pack("<I", 9) + b"STATUSALL"); s.recv(4)
except OSError:
    sys.exit(1)
PY
  sleep 0.05
done

python3 "$suite" --port "$port"
