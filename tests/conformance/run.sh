#!/usr/bin/env bash
# Starts a server on a free port with a fresh data folder and its own shared
# memory, and runs ../shared/conformance/conformance.py against it.
#   tests/conformance/run.sh [SERVER_BINARY]
# CHECKS below names the checks that pass so far; each issue widens it until
# the whole suite runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
server="${1:-$root/build/run/backend-server}"
suite="$root/../shared/conformance/conformance.py"
[ -f "$suite" ] || { echo "conformance: $suite not found" >&2; exit 1; }

CHECKS="unknown_command_is_UNKNOWN,keep_alive_serves_several_requests_on_one_connection,\
params_that_do_not_parse_are_FAILED,wrong_types_are_FAILED_not_coerced,\
oversized_frame_is_refused_and_server_lives_on,stalled_half_frame_does_not_block_other_clients,\
many_concurrent_connections_are_served,bad_job_names_are_refused,names_of_64_safe_bytes_are_accepted,\
php_style_values_are_normalised,commands_that_need_a_jobname_fail_without_one,\
add_get_update_getall_delete,auth_params_are_never_stored,server_read_and_server_mem,\
start_status_stop_start_again,start_of_missing_program_or_job_fails,delete_of_running_job_fails,\
restart_gives_a_new_process,read_returns_last_lines_with_time_prefix,exit_line_and_output_survive_the_exit,\
params_are_split_like_a_shell_and_never_run_by_one,cwd_defaults_to_the_programs_folder_and_env_is_passed,\
stop_escalates_to_sigkill_after_stoptimeout,stop_takes_the_whole_process_group,\
mem_and_memall_report_kilobytes,php_scripts_run_through_the_php_interpreter,\
guard_restarts_a_killed_job_at_once,\
logexplorer_refuses_paths_outside_the_logs,auth_denies_then_admits"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d /tmp/conformance-data.XXXXXX)
shm="conformance-$$"
"$server" --listen "127.0.0.1:$port" --data-dir "$data" --shm-name "$shm" >"$data/server.out" 2>&1 &
pid=$!
cleanup() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 100); do
  python3 - "$port" <<'PY' && break
import socket, struct, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2)
    s.sendall(struct.pack("<I", 9) + b"STATUSALL"); s.recv(4)
except OSError:
    sys.exit(1)
PY
  sleep 0.05
done

python3 "$suite" --port "$port" -k "$CHECKS"
