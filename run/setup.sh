#!/usr/bin/env bash
# Installs the Debian packages that backend-server needs to build, run and
# test. Safe to run again: it installs only what is missing. Runs apt-get as
# root, or through sudo otherwise.
#   run/setup.sh           what the build and the tests need
#   run/setup.sh --bench   also the peers of tests/bench/compare: supervisord,
#                          and node with npm when there is no node yet (PM2
#                          itself comes from the npm registry, into the
#                          benchmark's own folder)
set -euo pipefail

packages=(
  cmake ninja-build gcc g++ pkg-config
  clang libclang-rt-14-dev
  libboost-dev libuv1-dev rapidjson-dev libspdlog-dev
  libgtest-dev libgmock-dev
  libsodium-dev tzdata faketime
  prometheus
  python3 php-cli curl
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(supervisor wrk)
  # A node installed some other way (NodeSource's nodejs brings its own npm,
  # which Debian's npm package would conflict with) is used as it is.
  command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
