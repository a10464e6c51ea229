#!/usr/bin/env bash
# run-statusall.sh: the STATUSALL benchmark.
#
# Builds backend-server and the load generator bench_statusall_load in
# Release (-O2) in a build dir of their own (build-release/ at the repo root,
# configured on first use; ninja rebuilds only what changed), starts a server
# on a free loopback port with a fresh temporary data dir and its own shared
# memory name (bench-PID), and measures STATUSALL in four modes:
#
#   connect    one request per connection (connect, send, read reply, close)
#   keepalive  one connection per client, request after request
#
# each with 1 and with 32 concurrent clients, first with no job configured and
# then with BENCH_JOBS jobs (ADDed before and DELETEd after each run, so that
# STATUSALL returns a realistic object). Every client is closed-loop: it sends
# its next request only after the whole reply of the previous one.
# The server is stopped with SIGTERM at the end.
#
# The results go to tests/bench/results/statusall.md: a table (req/s, p50,
# p99, errors, ...) per run, the machine, and whether the targets are met:
#   - keepalive, 32 clients, no jobs: at least 100,000 requests/s
#   - 1 client (connect and keepalive), no jobs: p99 under 1 ms
# When the throughput target is missed and `perf` works, the listener process
# is profiled during one more keepalive run and the top functions and
# syscalls are added to the file. Rerunning regenerates the whole file.
#
# Usage:
#   tests/bench/run-statusall.sh            full run, about 1 minute
#   tests/bench/run-statusall.sh --smoke    ~0.3 s per run, results to a temp
#                                           file; exits non-zero when any
#                                           request errored (for CI)
#
# Environment:
#   BENCH_SECONDS=5      measured seconds per run
#   BENCH_WARMUP=0.5     seconds run before measuring starts (0 with --smoke)
#   BENCH_JOBS=100       jobs of the second variant (0: skip it)
#   BENCH_THREADS=1      load generator threads (see results/statusall.md)
#   BENCH_REPEAT=3       repetitions of each run (1 with --smoke); the table shows
#                        the median by req/s and the range
#   BENCH_RETRIES=3      a run during which other processes used more than
#                        BENCH_OTHER_MAX % of a core (a build, say) is repeated
#                        up to this many times; the least disturbed attempt is
#                        kept and the table shows how much else ran
#   BENCH_OTHER_MAX=20   see BENCH_RETRIES
#   BENCH_IDLE_WAIT=60   before each run, wait up to this many seconds for the
#                        machine to be idle (under 30 % of a core busy)
#   BENCH_SMOKE=1        same as --smoke
#   BENCH_PROFILE=auto   auto: profile when the throughput target is missed;
#                        1: always; 0: never
#   BENCH_BUILD_DIR      Release build dir (default REPO/build-release)
#   BENCH_SERVER_BIN, BENCH_LOAD_BIN
#                        use these binaries and build nothing (the ctest
#                        smoke test passes the normal build's)
#   BENCH_OUT            write the results here instead
#
# Exit status: 0 when every run completed without a request error (the
# targets do not decide it: they are reported), 1 otherwise.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

smoke=${BENCH_SMOKE:-0}
for arg in "$@"; do
  case $arg in
    --smoke) smoke=1 ;;
    -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-statusall.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

if [[ $smoke == 1 ]]; then
  seconds=${BENCH_SECONDS:-0.3}
  warmup=${BENCH_WARMUP:-0}
  profile=${BENCH_PROFILE:-0}
else
  seconds=${BENCH_SECONDS:-5}
  warmup=${BENCH_WARMUP:-0.5}
  profile=${BENCH_PROFILE:-auto}
fi
jobs=${BENCH_JOBS:-100}
threads=${BENCH_THREADS:-1}
other_max=${BENCH_OTHER_MAX:-20}
if [[ $smoke == 1 ]]; then
  repeat=${BENCH_REPEAT:-1}
  retries=${BENCH_RETRIES:-0}
  idle_wait=${BENCH_IDLE_WAIT:-0}
else
  repeat=${BENCH_REPEAT:-3}
  retries=${BENCH_RETRIES:-3}
  idle_wait=${BENCH_IDLE_WAIT:-60}
fi

log() { echo "run-statusall: $*" >&2; }

# ---------------------------------------------------------------- build

if [[ -n ${BENCH_SERVER_BIN:-} && -n ${BENCH_LOAD_BIN:-} ]]; then
  server_bin=$BENCH_SERVER_BIN
  load_bin=$BENCH_LOAD_BIN
  build_type="as given (BENCH_SERVER_BIN)"
else
  release_build backend-server bench_statusall_load
  server_bin=$build/run/backend-server
  load_bin=$build/tests/bench/bench_statusall_load
fi
[[ -x $server_bin ]] || { log "no server binary at $server_bin"; exit 1; }
source_rev=$(tree_revision)
[[ -x $load_bin ]] || { log "no load generator at $load_bin"; exit 1; }

if [[ -n ${BENCH_OUT:-} ]]; then
  out=$BENCH_OUT
elif [[ $smoke == 1 ]]; then
  out=$(mktemp /tmp/statusall-smoke.XXXXXX.md)
else
  out=$here/results/statusall.md
  mkdir -p "$here/results"
fi

# ---------------------------------------------------------------- server

data=$(mktemp -d /tmp/bench-statusall.XXXXXX)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$("$load_bin" --print-free-port)
shm_name=bench-$$
log "server on 127.0.0.1:$port, data dir $data, shm $shm_name"
"$server_bin" --listen "127.0.0.1:$port" --http-listen "" --data-dir "$data/server" --shm-name "$shm_name" \
  >"$data/server.out" 2>&1 &
server_pid=$!

ready=0
for _ in $(seq 100); do
  if "$load_bin" --port "$port" --requests 1 >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ $ready != 1 ]]; then
  log "the server did not answer STATUSALL; its output:"
  cat "$data/server.out" >&2
  exit 1
fi

# The listener worker: a child of the server named backend-listen.
listener_pid=
for pid in $(pgrep -P "$server_pid" || true); do
  if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == backend-listen* ]]; then listener_pid=$pid; fi
done
[[ -n $listener_pid ]] || log "listener process not found: its CPU use is not reported"

machine_busy() {  # % of one core the whole machine was busy over $1 seconds
  local a b
  a=$(awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat)
  sleep "$1"
  b=$(awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat)
  awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN {
    split(a, x, " "); split(b, y, " ");
    if (y[2] > x[2]) printf "%.0f", 100 * n * (y[1] - x[1]) / (y[2] - x[2]); else print 0 }'
}

wait_idle() {  # waits up to $idle_wait s for the machine to be (nearly) idle
  local waited=0 busy
  while ((waited < idle_wait)); do
    busy=$(machine_busy 0.5)
    if ((busy < 30)); then return 0; fi
    if ((waited == 0)); then log "machine busy ($busy % of a core): waiting up to ${idle_wait} s"; fi
    sleep 0.5
    waited=$((waited + 1))
  done
  return 0
}

# ---------------------------------------------------------------- runs

failed=0

other_cpu() {  # % of a core used by neither the load generator nor the listener
  local m c v
  m=$(json_field "$1" machine_cpu_pct); c=$(json_field "$1" client_cpu_pct); v=$(json_field "$1" server_cpu_pct)
  if [[ $m =~ ^[0-9]+$ && $c =~ ^[0-9]+$ && $v =~ ^[0-9]+$ ]]; then
    echo $((m - c - v < 0 ? 0 : m - c - v))
  else
    echo "?"
  fi
}

attempt_run() {  # attempt_run MODE CLIENTS JOBS: sets $best, the least disturbed attempt
  local mode=$1 clients=$2 njobs=$3 line attempt other best_other=
  best=
  for ((attempt = 0; attempt <= retries; attempt++)); do
    wait_idle
    if ! line=$("$load_bin" --port "$port" --mode "$mode" --clients "$clients" --threads "$threads" \
        --seconds "$seconds" --warmup "$warmup" --jobs "$njobs" --label "$mode-$clients-j$njobs" \
        ${listener_pid:+--server-pid "$listener_pid"}); then
      log "run $mode/$clients/jobs=$njobs failed"
      failed=1
      [[ -n $line ]] || return 0
    fi
    other=$(other_cpu "$line")
    log "$line (other load: $other % of a core)"
    # Errors count whatever the attempt: a discarded one still fails the run.
    run_errors=$((run_errors + $(json_field "$line" errors)))
    if [[ -z $best ]] || [[ $other =~ ^[0-9]+$ && $best_other =~ ^[0-9]+$ && $other -lt $best_other ]]; then
      best=$line
      best_other=$other
    fi
    if [[ $other =~ ^[0-9]+$ ]] && ((other <= other_max)); then break; fi
    if ((attempt < retries)); then log "disturbed by other load: repeating"; fi
  done
  return 0
}

# Configurations in table order. Repetitions go round by round over all of
# them, so that a slow spell of the machine (the host's, invisible from here)
# hits every configuration alike instead of a few back-to-back ones.
configs=()
variants=(0)
if [[ $jobs -gt 0 ]]; then variants+=("$jobs"); fi
for njobs in "${variants[@]}"; do
  for mode in connect keepalive; do
    for clients in 1 32; do configs+=("$mode $clients $njobs"); done
  done
done

declare -A kept     # configuration -> its kept repetitions, one JSON line each
declare -A errs     # configuration -> errors over every attempt
for ((rep = 1; rep <= repeat; rep++)); do
  if ((repeat > 1)); then log "round $rep of $repeat"; fi
  for cfg in "${configs[@]}"; do
    run_errors=0
    # shellcheck disable=SC2086 # cfg is "MODE CLIENTS JOBS"
    attempt_run $cfg
    errs[$cfg]=$(( ${errs[$cfg]:-0} + run_errors ))
    if [[ -n $best ]]; then kept[$cfg]+="$best"$'\n'; fi
  done
done

results=()    # per configuration: the JSON line of the median repetition
ranges=()     # per configuration: "min-max" req/s over the repetitions
errors=()     # per configuration: errors over every attempt
worst_p99=()  # per configuration: the highest p99 of the repetitions
for cfg in "${configs[@]}"; do
  lines=${kept[$cfg]:-}
  if [[ -z $lines ]]; then failed=1; continue; fi
  n=$(grep -c . <<<"$lines")
  # The median by req/s (the lower middle one for an even count).
  sorted=$(while read -r l; do
    if [[ -n $l ]]; then echo "$(json_field "$l" rps) $l"; fi
  done <<<"$lines" | sort -n -k1,1)
  results+=("$(sed -n "$(( (n + 1) / 2 ))p" <<<"$sorted" | cut -d' ' -f2-)")
  ranges+=("$(head -1 <<<"$sorted" | cut -d' ' -f1)-$(tail -1 <<<"$sorted" | cut -d' ' -f1)")
  errors+=("${errs[$cfg]}")
  worst_p99+=("$(while read -r l; do
    if [[ -n $l ]]; then json_field "$l" p99_us; fi
  done <<<"$lines" | sort -g | tail -1)")
  if ((${errs[$cfg]} != 0)); then failed=1; fi
  while read -r l; do
    if [[ -n $l && $(json_field "$l" requests) == 0 ]]; then failed=1; fi
  done <<<"$lines"
done

# ---------------------------------------------------------------- targets

find_run() {  # find_run LABEL: the JSON line of that run (nothing when it did not run)
  local l
  for l in "${results[@]}"; do
    if [[ $(json_field "$l" label) == "$1" ]]; then echo "$l"; fi
  done
  return 0
}
ka32=$(find_run keepalive-32-j0)
ka32_range='' ka1_worst='' co1_worst=''
for i in "${!results[@]}"; do
  case $(json_field "${results[$i]}" label) in
    keepalive-32-j0) ka32_range=${ranges[$i]} ;;
    keepalive-1-j0) ka1_worst=${worst_p99[$i]} ;;
    connect-1-j0) co1_worst=${worst_p99[$i]} ;;
  esac
done
ka1=$(find_run keepalive-1-j0)
co1=$(find_run connect-1-j0)
ka32_rps=$(json_field "$ka32" rps)
ka1_p99=$(json_field "$ka1" p99_us)
co1_p99=$(json_field "$co1" p99_us)
rps_verdict=$(verdict "$ka32_rps" ">=" 100000)

# ---------------------------------------------------------------- profile

profile_md=
want_profile=0
case $profile in
  1) want_profile=1 ;;
  auto) if [[ $rps_verdict == "**missed**" ]]; then want_profile=1; fi ;;
esac
profile_one() {  # profile_one JOBS: prints a markdown section
  local pjobs=$1 pdir=$data/perf-$1 psecs=3 perf_ok=1 served syscalls
  mkdir -p "$pdir"
  local load_args=(--port "$port" --mode keepalive --clients 32 --threads "$threads" --seconds "$psecs"
    --jobs "$pjobs")
  log "profiling the listener (pid $listener_pid): keepalive, 32 clients, $pjobs jobs"
  # perf follows the listener for as long as the load generator runs (the
  # jobs' ADD and DELETE included, a few ms).
  wait_idle
  perf record -F 2999 -g -p "$listener_pid" -o "$pdir/perf.data" -- \
    "$load_bin" "${load_args[@]}" --label profile >"$pdir/load.json" 2>"$pdir/record.log" || perf_ok=0
  if [[ $perf_ok != 1 ]]; then
    log "perf record failed: $(tail -3 "$pdir/record.log")"
    printf '## Profile (%s jobs)\n\nperf record failed: `%s`\n' "$pjobs" "$(tail -1 "$pdir/record.log")"
    return 0
  fi
  wait_idle
  perf stat -e 'syscalls:sys_enter_*' -p "$listener_pid" -o "$pdir/stat.txt" -- \
    "$load_bin" "${load_args[@]}" --label profile-syscalls >"$pdir/load2.json" 2>/dev/null || true
  report() { perf report -i "$pdir/perf.data" --stdio -g none "$@" 2>/dev/null |
    grep -E '^ +[0-9]' | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//'; }
  served=$(json_field "$(cat "$pdir/load2.json" 2>/dev/null)" requests)
  syscalls=
  if [[ -s $pdir/stat.txt && -n $served ]]; then
    # + 1 + 2 * jobs: the probe before measuring and the jobs' ADD and DELETE.
    syscalls=$(awk -v req="$((served + 1 + 2 * pjobs))" '
      $2 ~ /^syscalls:sys_enter_/ && $1 ~ /^[0-9,]+$/ {
        n = $1; gsub(",", "", n); if (n == 0) next
        name = $2; sub("syscalls:sys_enter_", "", name)
        printf "| %s | %d | %.3f |\n", name, n, (req > 0 ? n / req : 0)
      }' "$pdir/stat.txt" | sort -t'|' -k3 -nr | head -15)
  fi
  echo "## Profile of the listener: keepalive, 32 clients, $pjobs jobs"
  echo
  echo "\`perf record -F 2999 -g -p LISTENER\` during one more ${psecs} s run"
  echo "($(json_field "$(cat "$pdir/load.json")" rps) req/s while profiled). Shares of the listener's samples."
  echo
  echo "By binary (\`--sort dso\`):"
  echo
  echo '```'
  report --no-children --sort dso --percent-limit 0.5 | head -12
  echo '```'
  echo
  echo "Self time, top functions:"
  echo
  echo '```'
  report --no-children --sort symbol --percent-limit 0.7 | head -25
  echo '```'
  echo
  echo "Self time, user space only:"
  echo
  echo '```'
  report --no-children --sort dso,symbol --percent-limit 0.1 | grep -v '\[k\]' | head -20
  echo '```'
  echo
  echo "Inclusive time (callees included), entries above 5 %:"
  echo
  echo '```'
  report --children --sort symbol --percent-limit 5 | head -25
  echo '```'
  if [[ -n $syscalls ]]; then
    echo
    echo "Syscalls of the listener during a further ${psecs} s run (\`perf stat -e 'syscalls:sys_enter_*'\`;"
    echo "$served requests, $(json_field "$(cat "$pdir/load2.json")" rps) req/s with the tracepoints on):"
    echo
    echo "| syscall | count | per request |"
    echo "|---|---:|---:|"
    echo "$syscalls"
  fi
}

if [[ $want_profile == 1 && -n $listener_pid ]]; then
  if command -v perf >/dev/null 2>&1; then
    profile_md=$(profile_one 0)
    if [[ $jobs -gt 0 ]]; then profile_md+=$'\n\n'$(profile_one "$jobs"); fi
  else
    log "perf is not installed (apt-get install linux-perf): no profile"
    profile_md="## Profile"$'\n\n'"Not taken: perf is not installed (\`apt-get install linux-perf\`)."
  fi
fi

# ---------------------------------------------------------------- stop

kill -TERM "$server_pid"
if ! wait "$server_pid"; then
  log "the server did not exit cleanly; its output:"
  tail -20 "$data/server.out" >&2
  failed=1
fi
server_pid=

# ---------------------------------------------------------------- report

{
  echo "# STATUSALL benchmark"
  echo
  if [[ $smoke == 1 ]]; then echo "**Smoke run** (${seconds} s per run): the numbers mean nothing."; echo; fi
  echo "Generated by \`tests/bench/run-statusall.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo "Each run: ${seconds} s measured after ${warmup} s of warm-up, closed loop (a client sends"
  echo "its next request only after the whole previous reply), load generator"
  echo "\`bench_statusall_load\` with $threads epoll thread(s) driving all clients."
  echo "Before each run the script waits (up to ${idle_wait} s) for the machine to be idle; a run"
  echo "during which other processes used more than ${other_max} % of a core was repeated (up to"
  echo "$retries times) and the least disturbed attempt is shown (column \"other CPU\")."
  echo
  echo "## How the load is generated"
  echo
  echo "- One thread, one epoll loop, non-blocking sockets with TCP_NODELAY; with 32 clients"
  echo "  the thread drives 32 connections. The machine has $(nproc) cores and the server's"
  echo "  listener is a single-threaded libuv loop: it gets one core, the load generator"
  echo "  the other. A second load thread only competes with the listener for its core"
  echo "  (in back-to-back trials, 32 clients: 92k-95k req/s with two threads against"
  echo "  114k-129k with one)."
  echo "- Closed loop, no pipelining: each client sends its next request only after the"
  echo "  last byte of the previous reply. Per request in keepalive mode the generator"
  echo "  makes one send() and one recv() (edge-triggered epoll, registered once per"
  echo "  connection, so no epoll_ctl per request) plus its share of epoll_wait()."
  echo "- No allocation per request: replies are read into one scratch buffer and checked"
  echo "  to start with \`{\"code\":\"OK\"\` and to match their length prefix; latencies go"
  echo "  into a fixed log-linear histogram (buckets under 0.8 % wide; percentiles are the"
  echo "  bucket middles)."
  echo "- connect mode: the client closes first, so its side of every connection stays in"
  echo "  TIME_WAIT for 60 s. From one source address ~14,000 connections/s fill the 28,000"
  echo "  ephemeral ports, and connect() then spent ~30 % of the generator's CPU searching"
  echo "  for a reusable port (\`__inet_hash_connect\`) and added 30-100 ms tails. The"
  echo "  generator therefore binds its connections to 127.0.0.1-127.0.0.16 in turn"
  echo "  (\`--source-addrs\`, IP_BIND_ADDRESS_NO_PORT): ~19-22k instead of ~13-14k req/s"
  echo "  with 32 clients in trials. Even so the generator, not the listener, is the busier"
  echo "  process in connect mode (see the CPU columns): socket/connect/close cost the"
  echo "  client more than accept/close cost the server."
  echo "- On loopback the sender's send() also runs the receiver's TCP input path, so"
  echo "  the generator costs about as much CPU per request as the server does: when both"
  echo "  show ~100 % of a core, the server is at its limit and so is the generator."
  echo
  machine_table
  echo
  echo "## Results"
  echo
  echo "Each row is the median of $repeat repetitions by req/s (all its other columns come from"
  echo "that repetition); \"req/s range\" is the lowest and highest of the repetitions and"
  echo "\"errors\" counts every attempt, discarded ones included. The repetitions went in rounds"
  echo "over all configurations, so that a slow spell of the machine hit them alike."
  echo "Latencies in microseconds. connect: from connect() to the last byte of the reply;"
  echo "keepalive: from send() to the last byte of the reply. Errors count the whole run,"
  echo "warm-up included. CPU columns, in % of one core over the measured window (the machine"
  echo "has $(nproc) cores, so $(( $(nproc) * 100 )) % is everything): listener = the server's listener process,"
  echo "client = the load generator, other = everything else on the machine (kernel threads,"
  echo "the server's other processes, anything a developer ran meanwhile)."
  echo
  echo "| mode | clients | jobs | req/s | req/s range | p50 µs | p99 µs | p99.9 µs | max µs | requests | errors | reply bytes | listener CPU | client CPU | other CPU |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for i in "${!results[@]}"; do
    l=${results[$i]}
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
      "$(json_field "$l" mode)" "$(json_field "$l" clients)" "$(json_field "$l" jobs)" \
      "$(json_field "$l" rps)" "${ranges[$i]}" "$(json_field "$l" p50_us)" "$(json_field "$l" p99_us)" \
      "$(json_field "$l" p999_us)" "$(json_field "$l" max_us)" "$(json_field "$l" requests)" \
      "${errors[$i]}" "$(json_field "$l" reply_bytes)" "$(json_field "$l" server_cpu_pct)" \
      "$(json_field "$l" client_cpu_pct)" "$(other_cpu "$l")"
  done
  echo
  echo "For scale: the original PHP server served about 6,400 req/s with 1 client and"
  echo "1,800 req/s with 8 clients."
  echo
  echo "## Targets (runs with no jobs)"
  echo
  echo "| target | measured | verdict |"
  echo "|---|---:|---|"
  echo "| keepalive, 32 clients: at least 100,000 req/s | ${ka32_rps:-?} req/s median, range ${ka32_range:-?} | $rps_verdict |"
  echo "| keepalive, 1 client: p99 under 1 ms | ${ka1_p99:-?} µs median run, ${ka1_worst:-?} µs worst | $(verdict "$ka1_worst" "<" 1000) |"
  echo "| connect, 1 client: p99 under 1 ms | ${co1_p99:-?} µs median run, ${co1_worst:-?} µs worst | $(verdict "$co1_worst" "<" 1000) |"
  echo
  echo "The throughput verdict is on the median repetition, the latency verdicts on the"
  echo "worst one."
  echo
  if [[ -n $profile_md ]]; then echo "$profile_md"; echo; fi
  echo "## Raw results (JSON lines of bench_statusall_load, the median repetitions)"
  echo
  echo '```'
  printf '%s\n' "${results[@]}"
  echo '```'
} >"$out"
log "results written to $out"
if [[ $failed != 0 ]]; then
  log "FAILED: a run errored or served nothing"
  exit 1
fi
