#!/usr/bin/env bash
# Installs the Debian packages that backend-server needs to build, run and
# test. Safe to run again: it installs only what is missing. Runs apt-get as
# root, or through sudo otherwise.
#   run/setup.sh           what the build and the tests need (node with npm
#                          when there is no node yet, chromium), and the
#                          browser tests' node_modules (npm ci in tests/browser)
#   run/setup.sh --bench   also the peers of tests/bench/compare: supervisord
#                          (PM2 itself comes from the npm registry, into the
#                          benchmark's own folder)
#   run/setup.sh --package also what run/package needs to build and check the
#                          Debian packages (dpkg-dev, debhelper, lintian; the
#                          list above holds run/debian/control's
#                          Build-Depends), and mmdebstrap for their test
#                          (tests/package/run.sh)
set -euo pipefail

packages=(
  cmake ninja-build gcc g++ pkg-config
  clang libclang-rt-14-dev
  libboost-dev libuv1-dev rapidjson-dev libspdlog-dev
  libgtest-dev libgmock-dev
  libsodium-dev libsystemd-dev libcurl4-openssl-dev tzdata faketime scdoc
  etcd-server etcd-client
  prometheus
  python3 php-cli curl
  chromium
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(supervisor wrk)
fi
if [ "${1:-}" = "--package" ]; then
  packages+=(dpkg-dev debhelper lintian mmdebstrap systemd-container)
fi
# node with npm, for the browser tests (tests/browser) and the benchmark's
# PM2. A node installed some other way (NodeSource's nodejs brings its own
# npm, which Debian's npm package would conflict with) is used as it is.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

# tests/browser/node_modules from its package-lock.json: installed when
# missing, again when the lock changed since (its hash is kept beside them).
browser_modules() {
  local dir lock_hash
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
  lock_hash="$(sha256sum <"$dir/package-lock.json")"
  [ "$(cat "$dir/node_modules/.lock.sha256" 2>/dev/null)" = "$lock_hash" ] && return 0
  echo "setup: npm ci in tests/browser"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" >"$dir/node_modules/.lock.sha256"
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { browser_modules; exit 0; }

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
browser_modules
