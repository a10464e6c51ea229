# shellcheck shell=bash
# Shell helpers for scripts that start a backend-server of their own.
# Source it; it defines functions only.

# A loopback port free right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_server PORT PID: until the server answers STATUSALL (about 5 s at
# most); fails at once when PID is gone.
wait_for_server() {
  local port=$1 pid=$2
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    python3 - "$port" <<'PY' && return 0
import socket, struct, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2)
    s.sendall(struct.pack("<I", 9) + b"STATUSALL"); s.recv(4)
except OSError:
    sys.exit(1)
PY
    sleep 0.05
  done
  return 1
}
