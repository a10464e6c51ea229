#!/usr/bin/env bash
# tests/bench/run-dashboard.sh [--smoke]: the dashboard in a real browser
# (tests/bench/dashboard/bench.mjs): how soon a line a job printed shows on
# its page, what 100 pages following a chatty job cost the listener, and how
# long the jobs page takes to show 1,000 jobs. Results in
# tests/bench/results/dashboard.md.
#   --smoke   20 lines, 10 followers for 2 s, 50 jobs, 1 load; results to a
#             temp file: it proves the benchmark runs, not how fast
# Environment: BENCH_OUT, BENCH_BUILD_DIR (Release build, build-release/).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
log() { echo "run-dashboard: $*" >&2; }
# shellcheck source=lib.sh
. "$here/lib.sh"

smoke=0
[[ ${1:-} == --smoke ]] && smoke=1
out=${BENCH_OUT:-$here/results/dashboard.md}
[[ $smoke == 1 && -z ${BENCH_OUT:-} ]] && out=$(mktemp /tmp/dashboard-smoke.XXXXXX.md)
"$root/run/setup.sh" --bench >&2

release_build backend-server
server_bin=$build/run/backend-server
source_rev=$(tree_revision)
tmp=$(mktemp -d /tmp/run-dashboard.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/line_stamps" "$here/line_stamps.c"
cc -O2 -o "$tmp/jobs_writer" "$here/jobs_writer.c"
args=(--stamps "$tmp/line_stamps" --writer "$tmp/jobs_writer")
[[ $smoke == 1 ]] && args+=(--samples 20 --followers 10 --seconds 2 --jobs 50 --loads 1)
BACKEND_SERVER=$server_bin node "$here/dashboard/bench.mjs" "${args[@]}" >"$tmp/results.json"
machine_table >"$tmp/machine.md"
node "$here/dashboard/report.mjs" "$tmp/results.json" "$tmp/machine.md" "tests/bench/run-dashboard.sh${1:+ $1}" >"$out"
cat "$out"
