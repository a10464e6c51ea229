#!/usr/bin/env bash
# The dashboard's browser tests: every *.test.mjs here under Node's own test
# runner, the files in parallel processes, each starting a server of its own
# (free ports, its own data folder and shared memory) from BUILD_DIR, driven
# through Debian's chromium (headless) by playwright-core.
#   tests/browser/run.sh [BUILD_DIR]        default: build/
#   SCREENSHOTS=1 tests/browser/run.sh ...  also saves screenshots/NAME.png of each page
#   tests/browser/run.sh BUILD_DIR flows.test.mjs   only the files named
# Needs run/setup.sh first (chromium, and node_modules from package-lock.json).
# Exit status non-zero when any test failed; the whole run is cut at 3 minutes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
shift || true
server="$build/run/backend-server"
[ -x "$server" ] || { echo "browser tests: no server binary at $server" >&2; exit 1; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "browser tests: no ${CHROMIUM:-/usr/bin/chromium}; run run/setup.sh" >&2; exit 1; }
[ -d "$here/node_modules/playwright-core" ] || { echo "browser tests: no node_modules; run run/setup.sh (npm ci in tests/browser)" >&2; exit 1; }

cd "$here"
if [ $# -gt 0 ]; then files=("$@"); else files=(*.test.mjs); fi
export BACKEND_SERVER="$server"
# Each test at most 2 minutes, all of it at most 3 (SIGTERM, then SIGKILL
# 5 s later); a file's own servers are stopped by its after() hooks.
exec timeout -k 5 175 node --test --test-reporter=spec --test-concurrency="${#files[@]}" \
  --test-timeout=120000 "${files[@]}"
