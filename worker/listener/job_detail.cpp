#include "worker/listener/job_detail.h"

#include "protocol/response.h"
#include "worker/common/proc_info.h"
#include "worker/common/signal_name.h"
#include "worker/common/start_reason.h"

namespace backend::worker {
namespace {

template <class T>
void field(std::string& out, const char* key, bool known, T value) {
  out += out.back() == '{' ? "\"" : ",\"";
  out += key;
  out += "\":";
  out += known ? std::to_string(value) : "null";
}

void last_exit(std::string& out, const shm::JobInfo& info) {
  out += ",\"last_exit\":";
  if (info.last_exit_at == 0) {
    out += "null";
    return;
  }
  out += "{";
  field(out, "code", info.last_exit_signal == 0 && info.last_exit_code >= 0, info.last_exit_code);
  out += ",\"signal\":";
  if (info.last_exit_signal)
    protocol::append_json_string(out, signal_name(info.last_exit_signal));
  else
    out += "null";
  field(out, "at", true, info.last_exit_at);
  out += "}";
}

// {"reason", "started", "exited", "code", "signal", "output"}: one ended
// run, its last lines of output oldest first.
void run_record(std::string& out, const shm::RunRecord& run) {
  out += "{\"reason\":";
  protocol::append_json_string(out, start_reason_name(static_cast<shm::StartReason>(run.reason)));
  field(out, "started", run.started_at > 0, run.started_at);
  field(out, "exited", true, run.exited_at);
  field(out, "code", run.exit_signal == 0 && run.exit_code >= 0, run.exit_code);
  out += ",\"signal\":";
  if (run.exit_signal)
    protocol::append_json_string(out, signal_name(run.exit_signal));
  else
    out += "null";
  out += ",\"output\":[";
  bool first = true;
  for (std::string_view line : shm::RunHistory::tail_lines(run)) {
    if (!first) out += ',';
    first = false;
    protocol::append_json_string(out, line);
  }
  out += "]}";
}

}  // namespace

void append_job_history(std::string& out, const std::vector<shm::RunRecord>& runs) {
  out += "[";
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i) out += ',';
    run_record(out, runs[i]);
  }
  out += "]";
}

void append_job_detail(std::string& out, const shm::JobInfo& info, int64_t now,
                       const std::vector<shm::RunRecord>* history, std::optional<double> cpu) {
  bool up = info.up();
  bool since_known = up && info.started_at > 0;
  out += up ? "{\"state\":\"UP\"" : "{\"state\":\"DOWN\"";
  field(out, "pid", up, info.pid);
  field(out, "started", since_known, info.started_at);
  field(out, "uptime", since_known, now > info.started_at ? now - info.started_at : 0);
  field(out, "restarts", true, info.restarts);
  last_exit(out, info);
  auto kb = up ? rss_kb(info.pid) : std::nullopt;
  field(out, "mem", kb.has_value(), kb.value_or(0));
  out += ",\"reason\":";
  if (info.started_at > 0)
    protocol::append_json_string(out, start_reason_name(info.start_reason));
  else
    out += "null";
  out += ",\"cpu\":";
  if (cpu) {
    protocol::append_json_decimal(out, *cpu);
  } else {
    out += "null";
  }
  field(out, "backoff", true, info.next_retry_at > now ? info.next_retry_at - now : 0);
  out += (info.flags & shm::kJobCluster) ? ",\"cluster\":true" : ",\"cluster\":false";
  if (history) {
    out += ",\"history\":";
    append_job_history(out, *history);
  }
  out += "}";
}

}  // namespace backend::worker
