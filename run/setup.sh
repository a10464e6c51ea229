#!/usr/bin/env bash
# Installs the Debian packages that backend-server needs to build, run and
# test. Safe to run again: it installs only what is missing. Runs apt-get as
# root, or through sudo otherwise.
set -euo pipefail

packages=(
  cmake ninja-build gcc g++ pkg-config
  libboost-dev libuv1-dev rapidjson-dev libspdlog-dev
  libgtest-dev libgmock-dev
  libsodium-dev tzdata faketime
  python3 php-cli
)

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
