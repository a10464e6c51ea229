#include "views.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "format.h"
#include "outcome.h"

namespace backendctl {
namespace {

using rapidjson::Value;

const Value* member(const Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::optional<int64_t> int_member(const Value& obj, const char* key) {
  const Value* v = member(obj, key);
  if (!v || !v->IsInt64()) return std::nullopt;
  return v->GetInt64();
}

std::string or_dash(const std::optional<int64_t>& v, std::string (*show)(int64_t)) { return v ? show(*v) : "-"; }

std::string decimal(int64_t v) { return std::to_string(v); }

const Value& require_object(const Value& data, const char* what) {
  if (!data.IsObject()) throw BadReply(std::string(what) + " is not a JSON object");
  return data;
}

// Members sorted by name: the server's order is its table's, not the user's.
std::vector<const Value::Member*> sorted_members(const Value& obj) {
  std::vector<const Value::Member*> out;
  for (const auto& m : obj.GetObject()) out.push_back(&m);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) {
    return std::string_view(a->name.GetString(), a->name.GetStringLength()) <
           std::string_view(b->name.GetString(), b->name.GetStringLength());
  });
  return out;
}

std::string name_of(const Value::Member* m) { return std::string(m->name.GetString(), m->name.GetStringLength()); }

std::string state_of(const Value& job) {
  if (job.IsString()) return job.GetString();
  const Value* s = member(job, "state");
  return s && s->IsString() ? s->GetString() : "-";
}

// Signals that mean the program crashed (their default action dumps
// core), unlike the ones `stop` sends.
bool crash_signal(std::string_view name) {
  static constexpr std::string_view kCrashes[] = {"SIGSEGV", "SIGABRT", "SIGBUS", "SIGFPE",
                                                  "SIGILL",  "SIGSYS",  "SIGTRAP"};
  return std::find(std::begin(kCrashes), std::end(kCrashes), name) != std::end(kCrashes);
}

// Green when up; red when down after a failure (an exit code other than 0,
// or a crash), so that failed jobs stand out among merely stopped ones.
std::string_view state_colour(const Value& job) {
  std::string state = state_of(job);
  if (state == "UP") return kGreen;
  const Value* last = member(job, "last_exit");
  if (state != "DOWN" || !last || !last->IsObject()) return {};
  if (const Value* sig = member(*last, "signal"); sig && sig->IsString())
    return crash_signal(sig->GetString()) ? kRed : std::string_view{};
  auto code = int_member(*last, "code");
  return code && *code != 0 ? kRed : std::string_view{};
}

std::string last_exit_long(const Value& job) {
  const Value* last = member(job, "last_exit");
  if (!last || !last->IsObject()) return "-";
  std::string what = exit_text(*last);
  if (what == "-")
    what = "unknown";
  else
    what = (what.starts_with("SIG") ? "signal " : "code ") + what;
  if (auto at = int_member(*last, "at")) what += " at " + local_time(*at);
  return what;
}

}  // namespace

std::string exit_text(const Value& last_exit) {
  if (const Value* sig = member(last_exit, "signal"); sig && sig->IsString()) return sig->GetString();
  return or_dash(int_member(last_exit, "code"), decimal);
}

std::string format_job_list(const Value& data, bool color) {
  auto is_cluster = [](const Value& job) {
    const Value* cluster = member(job, "cluster");
    return cluster && cluster->IsBool() && cluster->GetBool();
  };
  // The CLUSTER column only where a job is a cluster job's copy: a host of
  // no fleet sees the columns it always saw.
  bool any_cluster = false;
  for (const auto* m : sorted_members(require_object(data, "the job list"))) any_cluster |= is_cluster(m->value);
  std::vector<Row> rows = {{"NAME", "STATE", "PID", "UPTIME", "MEMORY", "RESTARTS", "EXIT"}};
  if (any_cluster) rows[0].push_back("CLUSTER");
  for (const auto* m : sorted_members(require_object(data, "the job list"))) {
    const Value& job = m->value;
    const Value* last = member(job, "last_exit");
    rows.push_back({name_of(m), Cell(state_of(job), state_colour(job)), or_dash(int_member(job, "pid"), decimal),
                    or_dash(int_member(job, "uptime"), human_duration), or_dash(int_member(job, "mem"), human_kib),
                    or_dash(int_member(job, "restarts"), decimal), last ? exit_text(*last) : "-"});
    if (any_cluster) rows.back().push_back(is_cluster(job) ? "yes" : "-");
  }
  return format_table(rows, color);
}

std::string format_job_names(const Value& data) {
  std::string out;
  for (const auto* m : sorted_members(require_object(data, "the job list"))) out += name_of(m) + "\n";
  return out;
}

// "code 3" or "signal SIGKILL", of a last exit or a run of the history.
std::string ended_how(const Value& run) {
  if (const Value* sig = member(run, "signal"); sig && sig->IsString()) return std::string("signal ") + sig->GetString();
  if (auto code = int_member(run, "code")) return "code " + std::to_string(*code);
  return "unknown status";
}

std::string string_of(const Value& obj, const char* key) {
  const Value* v = member(obj, key);
  return v && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "-";
}

// The runs a server with the history extension keeps, newest first: when
// each ended and how, how long it ran, why it began, and its last lines.
std::string recent_runs(const Value& detail) {
  const Value* history = member(detail, "history");
  if (!history || !history->IsArray() || history->Empty()) return "";
  std::string out = "  recent runs, newest first:\n";
  for (const auto& run : history->GetArray()) {
    if (!run.IsObject()) throw BadReply("a run of the history is not an object");
    auto started = int_member(run, "started"), exited = int_member(run, "exited");
    std::string ran = started && exited ? human_duration(*exited - *started) : "-";
    out += "    " + or_dash(exited, local_time) + "  " + ended_how(run) + ", ran " + ran + ", started by " +
           string_of(run, "reason") + "\n";
    if (const Value* lines = member(run, "output"); lines && lines->IsArray())
      for (const auto& line : lines->GetArray())
        if (line.IsString()) out += "      | " + std::string(line.GetString(), line.GetStringLength()) + "\n";
  }
  return out;
}

std::string format_job_status(const Value& detail, bool color) {
  // A server without the detail extension answers with the bare word.
  if (detail.IsString()) return paint(detail.GetString(), state_colour(detail), color) + "\n";
  require_object(detail, "the job's status");
  std::string uptime = or_dash(int_member(detail, "uptime"), human_duration);
  if (auto started = int_member(detail, "started")) uptime += " (since " + local_time(*started) + ")";
  return paint(state_of(detail), state_colour(detail), color) + "\n" +
         "  pid:       " + or_dash(int_member(detail, "pid"), decimal) + "\n" + "  uptime:    " + uptime + "\n" +
         "  memory:    " + or_dash(int_member(detail, "mem"), human_kib) + "\n" +
         "  restarts:  " + or_dash(int_member(detail, "restarts"), decimal) + "\n" +
         "  last exit: " + last_exit_long(detail) + "\n" +
         (string_of(detail, "reason") != "-" ? "  started by: " + string_of(detail, "reason") + "\n" : "") +
         recent_runs(detail);
}

std::string format_mem_list(const Value& data) {
  std::vector<Row> rows = {{"NAME", "MEMORY"}};
  for (const auto* m : sorted_members(require_object(data, "the memory list"))) {
    if (!m->value.IsInt64()) throw BadReply("the memory of \"" + name_of(m) + "\" is not a number");
    rows.push_back({name_of(m), human_kib(m->value.GetInt64())});
  }
  return format_table(rows, false);
}

std::string format_schedule_list(const Value& data, const std::string& only_job) {
  std::vector<Row> rows = {{"JOB", "UUID", "ENABLED", "CONDITION"}};
  for (const auto* job : sorted_members(require_object(data, "the schedule list"))) {
    if (!only_job.empty() && name_of(job) != only_job) continue;
    for (const auto* s : sorted_members(require_object(job->value, "a job's schedules"))) {
      const Value* enable = member(s->value, "enable");
      const Value* condition = member(s->value, "condition");
      std::string on = enable && enable->IsBool() ? (enable->GetBool() ? "yes" : "no") : "-";
      rows.push_back({name_of(job), name_of(s), on, condition ? compact_json(*condition) : "-"});
    }
  }
  return format_table(rows, false);
}

std::string format_string_list(const Value& data) {
  if (!data.IsArray()) throw BadReply("the list is not a JSON array");
  std::string out;
  for (const auto& v : data.GetArray()) {
    if (!v.IsString()) throw BadReply("the list holds something other than strings");
    out += std::string(v.GetString(), v.GetStringLength()) + "\n";
  }
  return out;
}

std::string format_time_list(const Value& data) {
  if (!data.IsArray()) throw BadReply("the list of times is not a JSON array");
  std::string out;
  for (const auto& v : data.GetArray()) {
    if (!v.IsInt64()) throw BadReply("the list of times holds something other than whole numbers");
    out += local_time(v.GetInt64()) + "\n";
  }
  return out;
}

std::string as_lines(const std::string& text) {
  if (text.empty() || text.back() == '\n') return text;
  return text + "\n";
}

}  // namespace backendctl
