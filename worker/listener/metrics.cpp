#include "worker/listener/metrics.h"

#include <charconv>
#include <ctime>
#include <initializer_list>
#include <utility>
#include <vector>

#include "protocol/response.h"
#include "shm/job_table.h"
#include "worker/common/pool.h"
#include "worker/common/proc_info.h"
#include "worker/common/start_reason.h"
#include "worker/common/version.h"
#include "worker/listener/api_counters.h"


namespace backend::worker {
namespace {

using Label = std::pair<std::string_view, std::string_view>;

constexpr std::pair<shm::JobState, std::string_view> kStates[] = {
    {shm::JobState::kUp, "up"}, {shm::JobState::kDown, "down"}, {shm::JobState::kStarting, "starting"},
    {shm::JobState::kStopping, "stopping"}};
constexpr std::string_view kStreams[] = {"stdout", "stderr"};

// The text format, one family at a time: its HELP and TYPE, then its samples.
class Text {
 public:
  explicit Text(std::string& out) : out_(out) { out_.clear(); }

  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  template <class V>
  void sample(std::string_view name, std::initializer_list<Label> labels, V value) {
    out_ += name;
    if (labels.size()) {
      out_ += '{';
      bool first = true;
      for (const auto& [key, val] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += key;
        out_ += "=\"";
        escaped(val);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    number(value);
    out_ += '\n';
  }

 private:
  // A label value: backslash, quote and newline escaped, as the format says.
  void escaped(std::string_view v) {
    for (char c : v) {
      if (c == '\\' || c == '"') out_ += '\\';
      if (c == '\n') {
        out_ += "\\n";
        continue;
      }
      out_ += c;
    }
  }
  template <class V>
  void number(V value) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, ec == std::errc() ? end : buf);
  }
  std::string& out_;
};

struct Job {
  shm::JobInfo info;
  std::optional<ProcUsage> usage;  // of a running job's process
};

// A signal as a shell reports it: 128+N; an unknown end -1.
int64_t exit_code(const shm::JobInfo& info) {
  if (info.last_exit_signal) return 128 + info.last_exit_signal;
  return info.last_exit_code;
}

void jobs(Text& t, const std::vector<Job>& all, int64_t now) {
  t.family("backend_jobs", "gauge", "Jobs by state.");
  for (const auto& [state, name] : kStates) {
    int n = 0;
    for (const Job& j : all) n += j.info.state == state;
    t.sample("backend_jobs", {{"state", name}}, n);
  }
  t.family("backend_job_up", "gauge", "Whether the job's process runs (1) or not (0).");
  for (const Job& j : all) t.sample("backend_job_up", {{"name", j.info.name}}, j.info.up() ? 1 : 0);
  t.family("backend_job_state", "gauge", "The job's state: 1 for the state it is in, 0 for the others.");
  for (const Job& j : all)
    for (const auto& [state, name] : kStates)
      t.sample("backend_job_state", {{"name", j.info.name}, {"state", name}}, j.info.state == state ? 1 : 0);
  t.family("backend_job_start_time_seconds", "gauge", "When the job's current or last run began, Unix time.");
  for (const Job& j : all)
    if (j.info.started_at > 0) t.sample("backend_job_start_time_seconds", {{"name", j.info.name}}, j.info.started_at);
  t.family("backend_job_last_exit_time_seconds", "gauge", "When the job's last run ended, Unix time.");
  for (const Job& j : all)
    if (j.info.last_exit_at > 0)
      t.sample("backend_job_last_exit_time_seconds", {{"name", j.info.name}}, j.info.last_exit_at);
  t.family("backend_job_last_exit_code", "gauge",
           "How the job's last run ended: its exit code, 128+N for signal N, -1 when unknown.");
  for (const Job& j : all)
    if (j.info.last_exit_at > 0) t.sample("backend_job_last_exit_code", {{"name", j.info.name}}, exit_code(j.info));
  t.family("backend_job_starts_total", "counter",
           "Runs begun: manual (START, RESTART), crash (the guarder), scheduler, autostart.");
  for (const Job& j : all)
    for (size_t r = 0; r < shm::kStartReasons; ++r)
      t.sample("backend_job_starts_total",
               {{"name", j.info.name}, {"reason", start_reason_name(static_cast<shm::StartReason>(r))}},
               j.info.starts[r]);
  t.family("backend_job_restarts_total", "counter", "RESTARTs and the guarder's starts of the job.");
  for (const Job& j : all) t.sample("backend_job_restarts_total", {{"name", j.info.name}}, j.info.restarts);
  t.family("backend_job_resident_memory_bytes", "gauge", "Resident memory of the job's process, 0 when down.");
  for (const Job& j : all)
    t.sample("backend_job_resident_memory_bytes", {{"name", j.info.name}}, j.usage ? j.usage->rss_bytes : 0);
  t.family("backend_job_cpu_seconds_total", "counter", "CPU time of the job's current process, user and system.");
  for (const Job& j : all)
    t.sample("backend_job_cpu_seconds_total", {{"name", j.info.name}}, j.usage ? j.usage->cpu_seconds : 0.0);
  t.family("backend_job_output_lines_total", "counter", "Lines the job wrote, by stream.");
  for (const Job& j : all)
    for (int s = 0; s < 2; ++s)
      t.sample("backend_job_output_lines_total", {{"name", j.info.name}, {"stream", kStreams[s]}},
               j.info.output_lines[s]);
  t.family("backend_job_backoff_seconds", "gauge", "How long the guarder still waits before it starts the job again.");
  for (const Job& j : all)
    t.sample("backend_job_backoff_seconds", {{"name", j.info.name}},
             j.info.next_retry_at > now ? j.info.next_retry_at - now : 0);
}

void api(Text& t, const shm::Header& h, const CommandTable& commands, size_t connections) {
  t.family("backend_api_requests_total", "counter", "Requests answered, by command and reply code.");
  auto codes = {protocol::Code::kOk, protocol::Code::kFailed, protocol::Code::kDenied, protocol::Code::kUnknown};
  auto emit = [&](std::string_view command, size_t slot) {
    for (protocol::Code code : codes)
      if (uint64_t n = h.api_requests[slot][static_cast<size_t>(code)].load(std::memory_order_relaxed))
        t.sample("backend_api_requests_total", {{"command", command}, {"code", protocol::code_name(code)}}, n);
  };
  const auto& all = commands.all();
  for (size_t i = 0; i < all.size() && i < shm::kApiCommands - 1; ++i) emit(all[i].name, ApiCounters::slot_of(i));
  emit("(unknown)", shm::kApiCommands - 1);
  t.family("backend_api_connections", "gauge", "Clients connected now, socket and HTTP.");
  t.sample("backend_api_connections", {}, connections);
  t.family("backend_auth_failures_total", "counter", "Requests the auth plugin refused.");
  t.sample("backend_auth_failures_total", {}, h.auth_failures.load(std::memory_order_relaxed));
}

void server(Text& t, const shm::Header& h) {
  t.family("backend_build_info", "gauge", "The server's version.");
  t.sample("backend_build_info", {{"version", server_version()}}, 1);
  t.family("backend_worker_restarts_total", "counter", "Workers the master started again after they died.");
  t.sample("backend_worker_restarts_total", {{"worker", "listener"}}, h.worker_restarts[0].load());
  t.sample("backend_worker_restarts_total", {{"worker", "supervisor"}}, h.worker_restarts[1].load());
  std::pair<std::string_view, std::optional<ProcUsage>> processes[] = {
      {"master", proc_usage(h.master_pid)},
      {"listener", proc_usage(h.listener_pid.load())},
      {"supervisor", proc_usage(h.supervisor_pid.load())}};
  t.family("backend_process_resident_memory_bytes", "gauge", "Resident memory of the server's own processes.");
  for (const auto& [name, usage] : processes)
    if (usage) t.sample("backend_process_resident_memory_bytes", {{"process", name}}, usage->rss_bytes);
  t.family("backend_process_cpu_seconds_total", "counter", "CPU time of the server's own processes.");
  for (const auto& [name, usage] : processes)
    if (usage) t.sample("backend_process_cpu_seconds_total", {{"process", name}}, usage->cpu_seconds);
  t.family("backend_logcleaner_removed_files_total", "counter", "Log files the logcleaner removed.");
  t.sample("backend_logcleaner_removed_files_total", {}, h.logcleaner_removed_files.load());
  t.family("backend_logcleaner_removed_bytes_total", "counter", "Bytes of the log files the logcleaner removed.");
  t.sample("backend_logcleaner_removed_bytes_total", {}, h.logcleaner_removed_bytes.load());
}

void schedules(Text& t, const std::vector<shm::ScheduleRecord>& all) {
  t.family("backend_schedule_next_run_timestamp_seconds", "gauge",
           "When the schedule next starts its job, Unix time; 0 when it is not due again.");
  for (const auto& s : all) t.sample("backend_schedule_next_run_timestamp_seconds", {{"name", s.job}, {"uuid", s.uuid}}, s.next_at);
  t.family("backend_schedule_last_run_timestamp_seconds", "gauge", "When the schedule last started its job, Unix time.");
  for (const auto& s : all)
    if (s.last_at) t.sample("backend_schedule_last_run_timestamp_seconds", {{"name", s.job}, {"uuid", s.uuid}}, s.last_at);
  t.family("backend_schedule_runs_total", "counter", "Runs the schedule started since the server started.");
  for (const auto& s : all) t.sample("backend_schedule_runs_total", {{"name", s.job}, {"uuid", s.uuid}}, s.runs);
}

}  // namespace

void Metrics::scrape(Done done) {
  asked_.push_back(std::move(done));
  if (!building_) build_next();
}

// What the loop alone may read (the count of clients) is taken here; the
// rest is shared memory and /proc, read on the pool.
void Metrics::build_next() {
  building_ = true;
  auto waiting = std::make_shared<std::vector<Done>>(std::move(asked_));
  asked_.clear();
  size_t connections = connections_ ? connections_() : 0;
  run_in_pool(
      loop_, [this, connections] { build(connections); },
      [this, waiting] {
        building_ = false;
        // The last one takes the text itself, the others a copy.
        for (size_t i = 0; i < waiting->size(); ++i)
          (*waiting)[i](i + 1 < waiting->size() ? std::string(text_) : std::move(text_));
        if (!asked_.empty()) build_next();
      });
}

void Metrics::build(size_t connections) {
  std::vector<Job> all;
  all.reserve(seg_.table().count());
  seg_.table().for_each([&](const shm::JobInfo& info, const std::string&) {
    all.push_back({info, info.up() ? proc_.usage(info.pid) : std::nullopt});
  });
  proc_.sweep();
  // The last text went out with its scrape: the next is given its size at once.
  text_.reserve(last_size_);
  Text t(text_);
  jobs(t, all, time(nullptr));
  api(t, seg_.header(), commands_, connections);
  server(t, seg_.header());
  schedules(t, seg_.schedules().read());
  last_size_ = text_.size();
}

}  // namespace backend::worker
