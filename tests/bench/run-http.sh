#!/usr/bin/env bash
# tests/bench/run-http.sh [--smoke]: the HTTP face beside the socket
# protocol and supervisord, in one run (tests/bench/compare/http_face.py):
# POST /api/STATUS with 32 keep-alive clients (Debian's wrk) against STATUS
# over the socket (bench_statusall_load) and supervisord's XML-RPC, and the
# latency of GET /metrics on a server with 1,000 running jobs. Results in
# tests/bench/results/http.md.
#   --smoke   100 jobs, one round of 1 s, results to a temp file: it proves
#             the benchmark runs, not how fast anything is
# Environment: BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_OUT,
#   BENCH_BUILD_DIR (Release build, build-release/).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
log() { echo "run-http: $*" >&2; }
# shellcheck source=lib.sh
. "$here/lib.sh"

smoke=0
[[ ${1:-} == --smoke ]] && smoke=1
rounds=${BENCH_ROUNDS:-3} seconds=${BENCH_SECONDS:-5} jobs=1000
[[ $smoke == 1 ]] && { rounds=1 seconds=1 jobs=100; }
out=${BENCH_OUT:-$here/results/http.md}
[[ $smoke == 1 && -z ${BENCH_OUT:-} ]] && out=$(mktemp /tmp/http-smoke.XXXXXX.md)
"$root/run/setup.sh" --bench >&2

release_build backend-server bench_statusall_load
server_bin=$build/run/backend-server
source_rev=$(tree_revision)
tmp=$(mktemp -d /tmp/run-http.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
machine_table >"$tmp/machine.md"
python3 "$here/compare/http_face.py" --server-bin "$server_bin" --loadgen "$build/tests/bench/bench_statusall_load" \
  --jobs "$jobs" --rounds "$rounds" --seconds "$seconds" --out "$out" --machine "$tmp/machine.md" \
  --command "tests/bench/run-http.sh${1:+ $1}"
cat "$out"
