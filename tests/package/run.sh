#!/usr/bin/env bash
# The Debian packages in a fresh Debian 12, as a user gets them:
#
#   tests/package/run.sh [DEB_DIR]      (DEB_DIR: build-deb/, from run/package)
#
# As root. It makes a bookworm tree with mmdebstrap (--variant=apt, plus
# systemd, a compiler, cmake and pkg-config) through the package mirror
# this machine's apt uses (/etc/apt/sources.list and sources.list.d), then
# in a chroot:
#   1. apt install ./backend-server_*.deb ./libbackendclient-dev_*.deb
#      (their dependencies from the mirror): user, data folder, conffile,
#      unit, `systemd-analyze verify` of the installed unit (the tree's
#      systemd), backend-server --check-config on the default config;
#   2. starts the server as the unit's ExecStart line says (no systemd in a
#      chroot: that line, run as root, in the background), in network, PID
#      and mount namespaces of its own (loopback only, so its ports and
#      shared memory never meet this machine's); the listener must run as
#      backend-server;
#   3. drives it with the installed backendctl: add a job
#      /bin/sh -c 'echo hi', start, status, read (shows "hi"), ls;
#   4. builds tests/consumer/main.cpp against the installed
#      libbackendclient-dev with find_package(BackendClient) (static and
#      shared) and with pkg-config, and runs each against the server;
#   5. SIGTERM: the server ends with status 0, no pidfile or segment left;
#   6. boots the tree with systemd-nspawn, where the enabled unit starts
#      the server; a job runs; dpkg -i of the same package at a higher
#      version: the unit is neither stopped nor restarted, postinst has the
#      server take the new binary over in place (same main pid running the
#      new file, the job under the same pid, still printing); systemctl stop
#      ends it cleanly; then, started again, its master alone is killed:
#      the unit restarts it and a quiet job is adopted under the same pid;
#   7. apt-get remove: binaries gone, config, data and user kept;
#   8. apt-get purge: config, data, user, group and unit links gone.
# Prints the time of each step. Exits non-zero, naming the step, on the
# first failure. KEEP_TREE=1 keeps the tree (its path is printed).
# Takes 35 s to 2 minutes, mostly mmdebstrap's downloads (run/package
# before it about 4.5 minutes); the last result is in
# tests/package/RESULTS.md.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# --- inside the namespaces of step 2 to 5 (the script runs itself there) ---
if [ "${1:-}" = "--in-namespace" ]; then
  tree="$2"
  ch() { chroot "$tree" "$@"; }
  fail() { echo "FAILED: $*" >&2; exit 1; }
  ip link set lo up
  mkdir -p "$tree/dev/shm"
  mount -t tmpfs -o mode=1777 tmpfs "$tree/dev/shm"

  exec_start="$(sed -n 's/^ExecStart=//p' "$tree/lib/systemd/system/backend-server.service")"
  [ -n "$exec_start" ] || fail "no ExecStart= in the installed unit"
  echo "--- server: $exec_start"
  # Word splitting of the unit's command line is intended.
  # shellcheck disable=SC2086
  chroot "$tree" $exec_start >"$tree/tmp/server.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    ch backendctl ls >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$tree/tmp/server.out" >&2; fail "server exited at start"; }
    sleep 0.2
  done
  ch backendctl ls >/dev/null || { cat "$tree/tmp/server.out" >&2; fail "server: no answer on 127.0.0.1:13123"; }
  echo "server: answers (pid $server_pid)"

  # The listener (backend-listen) serves as the config's listener_user.
  uid="$(ch id -u backend-server)"
  listener_uid=""
  for p in "$tree"/proc/[0-9]*; do
    if [ "$(cat "$p/comm" 2>/dev/null)" = backend-listen ]; then
      listener_uid="$(awk '/^Uid:/ {print $2}' "$p/status")"
    fi
  done
  [ "$listener_uid" = "$uid" ] || fail "listener runs as uid '$listener_uid', not backend-server ($uid)"
  echo "server: listener runs as backend-server (uid $uid)"

  echo "--- backendctl"
  ch backendctl add hi /bin/sh --params "-c 'echo hi'" || fail "backendctl add"
  ch backendctl start hi || fail "backendctl start"
  out=""
  for _ in $(seq 50); do
    out="$(ch backendctl read hi)" || fail "backendctl read"
    grep -q '] hi$' <<<"$out" && break
    sleep 0.1
  done
  echo "$out"
  grep -q '] hi$' <<<"$out" || fail "backendctl read hi does not show the line hi"
  ch backendctl status hi || fail "backendctl status"
  ch backendctl ls || fail "backendctl ls"
  [ -f "$tree/var/lib/backend-server/jobs.json" ] || fail "no /var/lib/backend-server/jobs.json"
  grep -q '"hi"' "$tree/var/lib/backend-server/jobs.json" || fail "jobs.json does not hold the job hi"

  echo "--- libbackendclient-dev: find_package (static, shared) and pkg-config"
  mkdir -p "$tree/root/consumer"
  cp "$root/tests/consumer/main.cpp" "$root/tests/consumer/CMakeLists.txt" "$tree/root/consumer/"
  ch sh -c 'cd /root/consumer && cmake -S . -B build >/dev/null && cmake --build build' || fail "find_package build"
  # shellcheck disable=SC2016 # expanded by the chroot's shell
  ch sh -c 'cd /root/consumer && c++ -std=c++20 -Wall -Wextra -Werror -o consumer_pkgconfig main.cpp $(pkg-config --cflags --libs backendclient)' ||
    fail "pkg-config build"
  ch sh -c 'ldd /root/consumer/build/consumer_shared | grep libbackendclient' || fail "consumer_shared does not use the shared library"
  for bin in build/consumer_static build/consumer_shared consumer_pkgconfig; do
    ch timeout 60 "/root/consumer/$bin" 127.0.0.1 13123 || fail "$bin against the server"
  done

  echo "--- stop (SIGTERM)"
  kill -TERM "$server_pid"
  status=0
  for _ in $(seq 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$server_pid" 2>/dev/null && fail "server still running 30 s after SIGTERM"
  wait "$server_pid" || status=$?
  [ "$status" -eq 0 ] || { cat "$tree/tmp/server.out" >&2; fail "server exit status $status after SIGTERM"; }
  [ ! -e "$tree/var/lib/backend-server/backend-server.pid" ] || fail "pidfile left after stop"
  [ -z "$(ls -A "$tree/dev/shm")" ] || fail "shared memory left after stop: $(ls "$tree/dev/shm")"
  echo "server: stopped with status 0, pidfile and segment removed"
  exit 0
fi

# --- the driver ---
[ "$(id -u)" -eq 0 ] || { echo "package test: run as root (mmdebstrap, chroot)" >&2; exit 2; }
debs="$(cd "${1:-$root/build-deb}" && pwd)"
server_deb="$(find "$debs" -maxdepth 1 -name 'backend-server_*.deb' | sort | tail -1)"
dev_deb="$(find "$debs" -maxdepth 1 -name 'libbackendclient-dev_*.deb' | sort | tail -1)"
if [ -z "$server_deb" ] || [ -z "$dev_deb" ]; then
  echo "package test: no backend-server_*.deb and libbackendclient-dev_*.deb in $debs: run run/package first" >&2; exit 2
fi
{ command -v mmdebstrap && command -v systemd-nspawn; } >/dev/null || "$root/run/setup.sh" --package

work="$(mktemp -d /var/tmp/package-test.XXXXXX)"
tree="$work/tree"
cleanup() {
  if [ "${KEEP_TREE:-}" = 1 ]; then echo "package test: tree kept in $tree"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }
t0=$SECONDS
ts=$SECONDS
lap() { echo "=== $1: $((SECONDS - ts)) s"; timings+=("$1: $((SECONDS - ts)) s"); ts=$SECONDS; }
timings=()
ch() { chroot "$tree" "$@"; }

# The mirror this machine uses: its enabled bookworm entries, one-line
# (sources.list, *.list) and deb822 (*.sources), as they are.
sources="$work/sources"
: >"$sources"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  if [ -f "$f" ]; then grep -E '^deb\s.*\sbookworm(-[a-z]+)?(\s|$)' "$f" >>"$sources" || true; fi
done
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  awk 'BEGIN { RS = ""; ORS = "\n\n" }
       /(^|\n)Suites:[^\n]*[ \t]bookworm(-[a-z]+)?([ \t]|\n|$)/ && !/(^|\n)Enabled:[ \t]*no/ { print }' "$f" >>"$sources"
done
grep -q . "$sources" || fail "no bookworm entry in /etc/apt/sources.list(.d)"
echo "--- mirror (from this machine's apt sources):"
grep -E '^(deb|URIs|Suites)' "$sources"

echo "--- mmdebstrap bookworm"
mmdebstrap --variant=apt --include=systemd,g++,make,cmake,pkg-config --aptopt='Acquire::Retries "3"' \
  bookworm "$tree" "$sources" 2>"$work/mmdebstrap.log" || { tail -30 "$work/mmdebstrap.log" >&2; fail "mmdebstrap"; }
lap mmdebstrap

# Steps 1, 6 and 7 run in a mount namespace of their own (proc for apt and
# dpkg, the host's resolv.conf for the mirror), undone when they end.
in_chroot_ns() {
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --mount --propagation private sh -c '
    tree="$1"; shift
    mount -t proc proc "$tree/proc"
    mount --bind /etc/resolv.conf "$tree/etc/resolv.conf" 2>/dev/null ||
      cp /etc/resolv.conf "$tree/etc/resolv.conf"
    exec chroot "$tree" "$@"' sh "$tree" "$@"
}

echo "--- 1. apt install ./$(basename "$server_deb") ./$(basename "$dev_deb")"
mkdir -p "$tree/tmp/debs"
cp "$server_deb" "$dev_deb" "$tree/tmp/debs/"
[ -e "$tree/etc/resolv.conf" ] || touch "$tree/etc/resolv.conf"
# mmdebstrap leaves no package lists behind.
in_chroot_ns apt-get update -q >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "apt-get update"; }
in_chroot_ns env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
  "/tmp/debs/$(basename "$server_deb")" "/tmp/debs/$(basename "$dev_deb")" >>"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "apt install of the packages"; }
grep -E '^(Setting up|Unpacking) (backend-server|libbackendclient-dev)' "$work/install.log" || true
ch getent passwd backend-server || fail "no user backend-server"
ch getent group backend-server || fail "no group backend-server"
[ "$(ch getent passwd backend-server | cut -d: -f6)" = /var/lib/backend-server ] || fail "backend-server's home is not /var/lib/backend-server"
mode="$(ch stat -c '%U:%G %a' /var/lib/backend-server)"
[ "$mode" = "root:backend-server 750" ] || fail "/var/lib/backend-server is $mode, not root:backend-server 750"
grep -qx /etc/backend-server/backend-server.conf "$tree/var/lib/dpkg/info/backend-server.conffiles" || fail "the config is not a conffile"
grep -q '"listener_user": "backend-server"' "$tree/etc/backend-server/backend-server.conf" || fail "listener_user is not backend-server"
grep -q '"data_dir": "/var/lib/backend-server"' "$tree/etc/backend-server/backend-server.conf" || fail "data_dir is not /var/lib/backend-server"
for f in /usr/sbin/backend-server /usr/sbin/backend-shm /usr/bin/backendctl /lib/systemd/system/backend-server.service \
         /usr/share/bash-completion/completions/backendctl /usr/include/backend/client.h; do
  [ -e "$tree$f" ] || fail "$f not installed"
done
[ -L "$tree/etc/systemd/system/multi-user.target.wants/backend-server.service" ] || fail "the unit is not enabled"
in_chroot_ns backend-server --check-config >/dev/null || fail "backend-server --check-config (the default config, no -c)"
# systemd (in the tree for this) checks the unit as installed; man pages
# are checked apart, as files (man-db is not in the tree).
verify="$(in_chroot_ns systemd-analyze verify --man=no /lib/systemd/system/backend-server.service 2>&1)" ||
  fail "systemd-analyze verify of the installed unit: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify of the installed unit: $verify"
echo "systemd-analyze verify: clean"
# shellcheck disable=SC2013 # one word per man page
for page in $(sed -n 's/^Documentation=//p' "$tree/lib/systemd/system/backend-server.service"); do
  case "$page" in
    man:*\(*\))
      name="${page#man:}"; section="${name##*(}"; section="${section%)}"; name="${name%(*}"
      if [ -e "$tree/usr/share/man/man$section/$name.$section.gz" ]; then echo "man page $name($section): installed"
      else echo "NOTE: man page $name($section), named by the unit, is not installed"; fi ;;
  esac
done
lap "install"

echo "--- 2-5. server, backendctl, client library, stop"
unshare --net --pid --fork --mount --propagation private --mount-proc="$tree/proc" \
  bash "$here/run.sh" --in-namespace "$tree" || fail "server steps (above)"
lap "server, backendctl, client library, stop"

echo "--- 6. upgrade under systemd: the jobs run on"
# The tree booted with systemd-nspawn (its own network: loopback only), so
# the installed unit runs under a real systemd: enabled at install, it
# starts at boot. A job runs; then dpkg installs the same package with a
# higher version (its files repacked, so that dpkg replaces the binary as
# an upgrade does). Its maintainer scripts must neither stop nor restart
# the unit, and postinst must have the running server take the new binary
# over in place: the same main pid running the new file, the job under the
# same pid, still printing. (That a different build takes over, with its
# version in backend_build_info, is tests/integration/upgrade_test.cpp's.)
next="$work/next"
dpkg-deb -R "$server_deb" "$next"
version="$(sed -n 's/^Version: //p' "$next/DEBIAN/control")"
sed -i "s/^Version: .*/Version: $version+upgrade1/" "$next/DEBIAN/control"
# In /root: a booted systemd mounts a fresh /tmp.
mkdir -p "$tree/root/debs"
dpkg-deb -b -Zgzip "$next" "$tree/root/debs/backend-server_next.deb" >/dev/null
rm -rf "$next"
boot_log="$work/boot.log"
systemd-nspawn -q -D "$tree" --boot --register=no --keep-unit --private-network --console=passive \
  >"$boot_log" 2>&1 &
nspawn_pid=$!
# The container's init: nspawn's child that runs systemd. Not just any
# child of nspawn: its "outer child", which sets the container up and
# exits, is one too for a moment, and a box command aimed at it found no
# namespaces to enter ("nsenter: cannot open /proc/PID/ns/ipc").
leader=""
for _ in $(seq 100); do
  leader="$(pgrep -P "$nspawn_pid" -x systemd | head -1 || true)"
  [ -n "$leader" ] && break
  kill -0 "$nspawn_pid" 2>/dev/null || { cat "$boot_log" >&2; fail "systemd-nspawn --boot exited"; }
  sleep 0.1
done
[ -n "$leader" ] || { cat "$boot_log" >&2; fail "no container after 10 s"; }
box() { nsenter --target "$leader" --mount --uts --ipc --net --pid --root --wd=/ -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
poweroff_box() {
  if kill -0 "$nspawn_pid" 2>/dev/null; then
    box systemctl poweroff >/dev/null 2>&1 || kill -TERM "$nspawn_pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$nspawn_pid" 2>/dev/null || true
  fi
  wait "$nspawn_pid" 2>/dev/null || true
}
box_fail() { box journalctl -u backend-server --no-pager -n 40 >&2 || true; poweroff_box; fail "$@"; }
# A job's pid as backendctl status shows it; empty when it shows none (the
# caller names the failure: under pipefail a failed status would end the
# script without a word).
job_pid_of() { box backendctl status "$1" 2>/dev/null | sed -n 's/.*pid[": ]*\([0-9][0-9]*\).*/\1/p' | head -1 || true; }
for _ in $(seq 300); do box systemctl is-active --quiet backend-server 2>/dev/null && break; sleep 0.1; done
box systemctl is-active --quiet backend-server || box_fail "backend-server.service is not active 30 s after boot"
main_before="$(box systemctl show -P MainPID backend-server)"
box backendctl add counter /bin/sh --params "-c 'i=0; while :; do i=\$((i+1)); echo n\$i; sleep 0.05; done'" ||
  box_fail "backendctl add counter"
box backendctl start counter || box_fail "backendctl start counter"
job_pid=""
for _ in $(seq 50); do
  job_pid="$(job_pid_of counter)"
  [ -n "$job_pid" ] && [ "$job_pid" != 0 ] && break
  sleep 0.1
done
[ -n "$job_pid" ] || box_fail "no pid for the job counter"
echo "before: unit's main pid $main_before, job counter pid $job_pid"
box dpkg -i /root/debs/backend-server_next.deb >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log" >&2; box_fail "dpkg -i (upgrade)"; }
grep -E '^(Preparing|Unpacking|Setting up) backend-server' "$work/upgrade.log" || true
upgraded=""
for _ in $(seq 100); do
  if box journalctl -u backend-server --no-pager -o cat | grep -q 'upgraded in place'; then upgraded=1; break; fi
  sleep 0.1
done
box journalctl -u backend-server --no-pager -o cat | grep -i upgrad || true
[ -n "$upgraded" ] || box_fail "the server did not say it was upgraded in place"
for _ in $(seq 100); do box backendctl ls >/dev/null 2>&1 && break; sleep 0.1; done
main_after="$(box systemctl show -P MainPID backend-server)"
[ "$main_after" = "$main_before" ] || box_fail "the unit's main pid changed from $main_before to $main_after: restarted, not upgraded"
box systemctl is-active --quiet backend-server || box_fail "backend-server.service is not active after the upgrade"
restarts="$(box systemctl show -P NRestarts backend-server)"
[ "$restarts" = 0 ] || box_fail "the unit restarted $restarts time(s)"
exe="$(box readlink "/proc/$main_after/exe")"
[ "$exe" = /usr/sbin/backend-server ] || box_fail "the main process runs '$exe', not the new /usr/sbin/backend-server"
[ "$(box stat -L -c %i "/proc/$main_after/exe")" = "$(box stat -c %i /usr/sbin/backend-server)" ] ||
  box_fail "the main process does not run the installed file"
job_after="$(job_pid_of counter)"
[ "$job_after" = "$job_pid" ] || box_fail "the job's pid changed from $job_pid to $job_after"
last_before="$(box backendctl read counter | sed -n 's/.*] n\([0-9]*\)$/\1/p' | tail -1)"
sleep 0.5
last_after="$(box backendctl read counter | sed -n 's/.*] n\([0-9]*\)$/\1/p' | tail -1)"
if [ -z "$last_before" ] || [ -z "$last_after" ] || [ "$last_after" -le "$last_before" ]; then
  box_fail "the job's output does not go on after the upgrade (n$last_before, then n$last_after)"
fi
# shellcheck disable=SC2016 # dpkg-query's own field
[ "$(box dpkg-query -W -f='${Version}' backend-server)" = "$version+upgrade1" ] || box_fail "dpkg does not know the new version"
echo "after: main pid $main_after runs the new $exe; job counter pid $job_after, printing (n$last_before, then n$last_after)"
box systemctl stop backend-server || box_fail "systemctl stop"
result="$(box systemctl show -P Result backend-server)"
[ "$result" = success ] || box_fail "the unit's stop: Result=$result"
box kill -0 "$job_pid" 2>/dev/null && box_fail "the job still runs after systemctl stop"
echo "systemctl stop: Result=success, the job stopped with the server"
lap "upgrade under systemd"

# The master alone killed (a crash, the OOM killer): its workers go, the
# unit restarts it (Restart=on-failure), and a quiet job outlives it
# (KillMode=process) to be adopted by the new server under the same pid.
box systemctl start backend-server || box_fail "systemctl start"
box backendctl add quiet /bin/sleep --params 100000 || box_fail "backendctl add quiet"
box backendctl start quiet || box_fail "backendctl start quiet"
quiet_pid="$(job_pid_of quiet)"
if [ -z "$quiet_pid" ] || [ "$quiet_pid" = 0 ]; then box_fail "no pid for the job quiet"; fi
main_before="$(box systemctl show -P MainPID backend-server)"
box kill -KILL "$main_before"
main_after=""
for _ in $(seq 150); do
  main_after="$(box systemctl show -P MainPID backend-server)"
  if [ "$main_after" != 0 ] && [ "$main_after" != "$main_before" ] && box systemctl is-active --quiet backend-server &&
    box backendctl ls >/dev/null 2>&1; then break; fi
  sleep 0.1
done
box systemctl is-active --quiet backend-server || box_fail "the unit did not start again after its master was killed"
[ "$main_after" != "$main_before" ] || box_fail "the unit's main pid is still $main_before"
quiet_after=""
for _ in $(seq 50); do
  quiet_after="$(job_pid_of quiet)"
  [ "$quiet_after" = "$quiet_pid" ] && break
  sleep 0.1
done
[ "$quiet_after" = "$quiet_pid" ] || box_fail "the job quiet (pid $quiet_pid) was not adopted: its pid is now '$quiet_after'"
box kill -0 "$quiet_pid" 2>/dev/null || box_fail "the job quiet died with the master"
box systemctl stop backend-server || box_fail "systemctl stop after the restart"
box kill -0 "$quiet_pid" 2>/dev/null && box_fail "the adopted job still runs after systemctl stop"
echo "master $main_before killed: the unit restarted it as $main_after; the job quiet adopted under pid $quiet_pid, stopped with the unit"
poweroff_box
lap "master killed under systemd"

echo "--- 7. apt-get remove"
in_chroot_ns env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q backend-server libbackendclient-dev >"$work/remove.log" 2>&1 ||
  { cat "$work/remove.log" >&2; fail "apt-get remove"; }
for f in /usr/sbin/backend-server /usr/bin/backendctl /lib/systemd/system/backend-server.service /usr/include/backend/client.h; do
  [ ! -e "$tree$f" ] || fail "$f left after remove"
done
[ -f "$tree/etc/backend-server/backend-server.conf" ] || fail "config gone after remove"
grep -q '"hi"' "$tree/var/lib/backend-server/jobs.json" || fail "data (jobs.json) gone after remove"
ch getent passwd backend-server >/dev/null || fail "user gone after remove"
# shellcheck disable=SC2016 # dpkg-query's own fields
ch dpkg-query -W -f='${db:Status-Abbrev}\n' backend-server | grep -q '^rc' || fail "backend-server is not in state rc after remove"
echo "remove: binaries gone; /etc/backend-server, /var/lib/backend-server and the user kept"
lap remove

echo "--- 8. apt-get purge backend-server"
# libbackendclient-dev has no conffile: remove left nothing of it to purge.
in_chroot_ns env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q backend-server >"$work/purge.log" 2>&1 ||
  { cat "$work/purge.log" >&2; fail "apt-get purge"; }
for f in /etc/backend-server /var/lib/backend-server /etc/systemd/system/multi-user.target.wants/backend-server.service; do
  if [ -e "$tree$f" ] || [ -L "$tree$f" ]; then fail "$f left after purge"; fi
done
! ch getent passwd backend-server >/dev/null || fail "user backend-server left after purge"
! ch getent group backend-server >/dev/null || fail "group backend-server left after purge"
# shellcheck disable=SC2016 # dpkg-query's own fields
left="$(ch dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 2>/dev/null | grep -E ' (backend-server|libbackendclient-dev)$' || true)"
[ -z "$left" ] || fail "dpkg still knows: $left"
left="$(find "$tree" -xdev \( -path "$tree/proc" -o -path "$tree/tmp" -o -path "$tree/root" \) -prune -o \
  \( -name '*backend-server*' -o -name '*backendclient*' -o -name 'BackendClient*' -o -name 'backendctl*' \
     -o -name 'backend-shm*' -o -path "$tree/usr/include/backend" \) -print | sed "s|^$tree||")"
[ -z "$left" ] || fail "files left after purge: $left"
echo "purge: config, data, user, group and unit links gone; no file of the packages left"
lap purge

echo "package test: all passed in $((SECONDS - t0)) s"
printf '  %s\n' "${timings[@]}"
