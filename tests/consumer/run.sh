#!/usr/bin/env bash
# Proves that the installed client library can be used from outside the
# source tree, in the three ways a user would link it:
#   1. find_package(BackendClient), static library   (consumer_static)
#   2. find_package(BackendClient), shared library   (consumer_shared)
#   3. pkg-config --cflags --libs backendclient      (consumer_pkgconfig)
# It installs BUILD_DIR into a temp prefix, builds this folder's project
# against that prefix, starts BUILD_DIR's backend-server on a free loopback
# port with a fresh data folder, and runs the three programs against it.
#
#   tests/consumer/run.sh BUILD_DIR
#
# BUILD_DIR must be built (cmake --install copies what is there). Runs from
# any folder, needs no network, leaves nothing behind. Exits non-zero, with
# the list of what failed, when any step fails.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/server.sh
. "$(dirname "$0")/../lib/server.sh"

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build="$(cd "$1" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
server="$build/run/backend-server"
[ -x "$server" ] || { echo "consumer: $server not found: build $build first" >&2; exit 2; }

tmp="$(mktemp -d /tmp/consumer.XXXXXX)"
prefix="$tmp/prefix"
shm="consumer-$$"
server_pid=""
pc_libdir=""
failures=()

cleanup() {
  # Only when a step was cut short: the server gets 5 s to stop its jobs.
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -f "/dev/shm/$shm"
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAILED: $1" >&2
  failures+=("$1")
}

# Runs a step with its output in $tmp/NAME.log, shown only when it fails.
step() {
  local name="$1"
  shift
  echo "--- $name"
  if ! "$@" >"$tmp/$name.log" 2>&1; then
    cat "$tmp/$name.log" >&2
    fail "$name"
    return 1
  fi
}

install_library() {
  step install cmake --install "$build" --prefix "$prefix"
}

build_with_cmake() {
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  step cmake-configure cmake -S "$here" -B "$tmp/build" "${generator[@]}" -DCMAKE_PREFIX_PATH="$prefix" &&
    step cmake-build cmake --build "$tmp/build"
}

# The .pc file names its prefix; it must be the one installed to, or users
# who install with --prefix get flags pointing elsewhere.
build_with_pkg_config() {
  local pc
  pc="$(find "$prefix" -name backendclient.pc -print -quit)"
  [ -n "$pc" ] || { fail "pkg-config: no backendclient.pc installed under $prefix"; return 1; }
  PKG_CONFIG_PATH="$(dirname "$pc")"
  export PKG_CONFIG_PATH
  local libdir
  libdir="$(pkg-config --variable=libdir backendclient)"
  case "$(realpath -m "$libdir")" in
    "$prefix"/*) ;;
    *) fail "pkg-config: backendclient.pc gives libdir $libdir, not under the install prefix $prefix"
       return 1 ;;
  esac
  local flags
  if ! flags="$(pkg-config --cflags --libs backendclient)"; then
    fail "pkg-config --cflags --libs backendclient"
    return 1
  fi
  pc_libdir="$libdir"
  # Word splitting of the flags is intended.
  # shellcheck disable=SC2086
  step pkg-config-build c++ -std=c++20 -Wall -Wextra -Werror -o "$tmp/consumer_pkgconfig" "$here/main.cpp" $flags
}

start_server() {
  port=$(free_port)
  mkdir -p "$tmp/data"
  "$server" --listen "127.0.0.1:$port" --http-listen "" --data-dir "$tmp/data" --shm-name "$shm" >"$tmp/server.out" 2>&1 &
  server_pid=$!
  wait_for_server "$port" "$server_pid" || { cat "$tmp/server.out" >&2; fail "server: no answer on 127.0.0.1:$port"; return 1; }
}

# SIGTERM must end it with status 0, within 20 s.
stop_server() {
  kill -TERM "$server_pid"
  for _ in $(seq 200); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$server_pid" 2>/dev/null && { fail "server: still running 20 s after SIGTERM"; return 1; }
  local status=0
  wait "$server_pid" || status=$?
  server_pid=""
  [ "$status" -eq 0 ] || { cat "$tmp/server.out" >&2; fail "server: exit status $status after SIGTERM"; }
}

# run_consumer BINARY [VAR=VALUE...]
run_consumer() {
  local bin="$1"
  shift
  local name
  name="$(basename "$bin")"
  if [ ! -x "$bin" ]; then
    fail "$name: not built"
    return 0
  fi
  echo "--- $name"
  env "$@" timeout 60 "$bin" 127.0.0.1 "$port" || fail "$name: exit status $?"
}

if install_library; then
  build_with_cmake || true
  build_with_pkg_config || true
fi
if start_server; then
  run_consumer "$tmp/build/consumer_static"
  run_consumer "$tmp/build/consumer_shared"
  # -lbackendclient links the shared library, found at run time through this.
  run_consumer "$tmp/consumer_pkgconfig" LD_LIBRARY_PATH="$pc_libdir"
  stop_server || true
fi

if [ ${#failures[@]} -ne 0 ]; then
  echo "consumer: ${#failures[@]} failure(s):" >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "consumer: all passed (static, shared, pkg-config)"
