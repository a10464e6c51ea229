#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS]: builds the libFuzzer targets with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer in build-fuzz/, then runs
# each for SECONDS (default 60), FUZZ_JOBS at once (default: as many as
# there are cores; run/test runs all nine together, 60 s of wall time each).
#
# Each target starts from its seed corpus, tests/fuzz/corpus/TARGET (read
# only), and keeps what it finds in build-fuzz/corpus/TARGET for the next
# run. A crash, a leak, a sanitizer report or an input slower than 10 s
# fails the run; the input is left in build-fuzz/artifacts/ and belongs,
# once fixed, in the seed corpus. Executions per target are printed at the
# end (and kept in build-fuzz/fuzz-stats.txt).
# Environment: FUZZ_BUILD_DIR (build-fuzz/), FUZZ_TARGETS (all), FUZZ_JOBS.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
read -r -a targets <<<"${FUZZ_TARGETS:-frame request settings cron condition shell_words log_paths control http}"

if [[ ! -f $build/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DBACKEND_FUZZ=ON -DBACKEND_TESTS=OFF >/dev/null
fi
ninja -C "$build" fuzzers

export UBSAN_OPTIONS="suppressions=$here/ubsan.supp:print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1"
mkdir -p "$build/artifacts"

dict_of() {
  case $1 in
    request|settings|condition) echo "-dict=$here/json.dict" ;;
    cron) echo "-dict=$here/cron.dict" ;;
  esac
}

# One target: prints "TARGET ok|FAILED EXECUTIONS".
fuzz_one() {
  local t=$1 log="$build/fuzz_$1.log"
  mkdir -p "$build/corpus/$t"
  # shellcheck disable=SC2046
  if "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" $(dict_of "$t") \
      "$build/corpus/$t" "$here/corpus/$t" >"$log" 2>&1; then
    echo "$t ok $(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  else
    echo "$t FAILED $(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  fi
}
export -f fuzz_one dict_of
export build here seconds

printf '%s\n' "${targets[@]}" | xargs -P "${FUZZ_JOBS:-$(nproc)}" -I{} bash -c 'fuzz_one {}' >"$build/fuzz-stats.txt"
sort "$build/fuzz-stats.txt"
failed=$(awk '$2 != "ok" {print $1}' "$build/fuzz-stats.txt")
for t in $failed; do
  echo "--- fuzz_$t (log $build/fuzz_$t.log)" >&2
  grep -v "^#[0-9]" "$build/fuzz_$t.log" | tail -60 >&2
done
[[ -z $failed ]] || { echo "fuzz: failed: $failed" >&2; exit 1; }
total=$(awk '{s += $3} END {print s}' "$build/fuzz-stats.txt")
echo "fuzz: ${#targets[@]} targets, $seconds s each, $total executions, no failure"
