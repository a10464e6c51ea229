# Helpers shared by the benchmark scripts (sourced, not run). The caller
# sets $root (the repository) and defines log().

# release_build TARGET...: builds the targets in a Release build folder of
# the benchmarks' own (BENCH_BUILD_DIR, default build-release/), configured
# on first use; sets $build and $build_type.
release_build() {
  build=${BENCH_BUILD_DIR:-$root/build-release}
  if [[ ! -f $build/build.ninja ]]; then
    log "configuring $build (Release, -O2)"
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" -DBACKEND_TESTS=ON >&2
  fi
  log "building in $build"
  ninja -C "$build" "$@" >&2
  build_type=$(build_type_of "$build")
}

# build_type_of BUILD_DIR: its CMAKE_BUILD_TYPE and that type's C++ flags.
build_type_of() {
  local type
  type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$1/CMakeCache.txt")
  echo "${type:-none} ($(sed -n "s/^CMAKE_CXX_FLAGS_${type^^}:[A-Z]*=//p" "$1/CMakeCache.txt"))"
}

# tree_revision [TREE]: the tree ($root by default) as it was built
# (someone may commit while a benchmark runs).
tree_revision() {
  local tree=${1:-$root}
  echo "$(git -C "$tree" log -1 --format='commit %h (%cd)' --date=format:'%Y-%m-%d %H:%M' 2>/dev/null ||
    echo unknown)$({ git -C "$tree" status --porcelain --untracked-files=no -- . ':!tests' 2>/dev/null | grep -q . &&
    echo ', with uncommitted changes outside tests/'; } || true)"
}

# build_revision BUILD_DIR: tree_revision of the tree the build folder was
# configured from, and a warning when its backend-server is older than
# that tree (ninja would rebuild it).
build_revision() {
  local tree
  tree=$(sed -n 's/^CMAKE_HOME_DIRECTORY:[A-Z]*=//p' "$1/CMakeCache.txt")
  [[ -n $tree ]] || { echo unknown; return; }
  echo "$(tree_revision "$tree") in $tree$(ninja -C "$1" -n backend-server 2>/dev/null | grep -q 'no work to do' ||
    echo ', but its backend-server is older than that tree (not rebuilt since)')"
}

# machine_table: the "## Machine" section of a results file; uses
# $build_type, $server_bin and $source_rev, and leaves out those rows when
# $server_bin is empty (the caller adds rows of its builds).
machine_table() {
  local cpu_model mem_total cxx
  cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  mem_total=$(free -h | awk '/^Mem:/ { print $2 }')
  cxx=$( (c++ --version 2>/dev/null || g++ --version 2>/dev/null) | head -1)
  echo "## Machine"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| CPUs (nproc) | $(nproc) |"
  echo "| CPU | ${cpu_model:-unknown} |"
  echo "| memory | ${mem_total:-unknown} |"
  echo "| kernel | $(uname -r) |"
  echo "| compiler | $cxx |"
  [[ -n ${server_bin:-} ]] || return 0
  echo "| build | $build_type |"
  echo "| server | $server_bin |"
  echo "| source | $source_rev |"
}

# verdict VALUE OP LIMIT: **met** or **missed** (OP is >= or <).
verdict() {
  [[ -z $1 || $1 == "-" ]] && { echo "not measured"; return; }
  if awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { exit !((op == ">=") ? v >= l : v < l) }'; then
    echo "**met**"
  else
    echo "**missed**"
  fi
}

# json_field LINE KEY: a number or string value of one line of flat JSON
# (with or without a space after the colon).
json_field() { sed -n "s/.*\"$2\": \{0,1\}\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$1"; }
