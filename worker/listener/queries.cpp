#include "worker/listener/queries.h"

#include <unordered_map>

#include <ctime>

#include "protocol/coerce.h"
#include "protocol/response.h"
#include "shm/job_table.h"
#include "shm/ring.h"
#include "worker/listener/job_detail.h"
#include "worker/common/pool.h"
#include "worker/common/proc_info.h"

namespace backend::worker {
namespace {

using protocol::Code;
using protocol::append_reply;

constexpr size_t kServerReadEntries = 20;

struct Query {
  const shm::Segment& seg;
  std::string_view job;
  const rapidjson::Value& params;
  std::string& out;
};

const rapidjson::Value* param(const rapidjson::Value& params, const char* key) {
  if (!params.IsObject()) return nullptr;
  auto it = params.FindMember(key);
  return it == params.MemberEnd() ? nullptr : &it->value;
}

// The `detail` extension: nullopt (and a FAILED reply) when it is no boolean.
std::optional<bool> wants_detail(const rapidjson::Value& params, std::string& out) {
  const rapidjson::Value* v = param(params, "detail");
  if (!v) return false;
  auto b = protocol::coerce_bool(*v);
  if (!b) append_reply(out, Code::kFailed, {}, "detail must be a boolean (true or false)");
  return b;
}

int64_t now_seconds() { return static_cast<int64_t>(std::time(nullptr)); }

void no_such_job(Query& q) {
  std::string err = "job \"" + std::string(q.job) + "\" does not exist";
  append_reply(q.out, Code::kFailed, {}, err);
}

void get(Query& q) {
  shm::JobInfo info;
  std::string settings;
  if (!q.seg.table().read(q.job, info, &settings)) return no_such_job(q);
  append_reply(q.out, Code::kOk, settings);
}

// {"NAME": value, ...} for every job, each value appended by
// value(out, info, settings); settings are read only when asked for.
template <class F>
std::string jobs_object(const shm::Segment& seg, bool with_settings, F&& value) {
  std::string data = "{";
  seg.table().for_each(
      [&](const shm::JobInfo& info, const std::string& settings) {
        if (data.size() > 1) data.push_back(',');
        protocol::append_json_string(data, info.name);
        data.push_back(':');
        value(data, info, settings);
      },
      with_settings);
  data.push_back('}');
  return data;
}

std::string getall_data(const shm::Segment& seg) {
  return jobs_object(seg, true, [](std::string& out, const shm::JobInfo&, const std::string& settings) {
    out += settings;
  });
}

std::string_view state_word(const shm::JobInfo& info) { return info.up() ? "\"UP\"" : "\"DOWN\""; }

std::optional<double> cpu_of(const dashboard::UsageHistory* usage, std::string_view job) {
  auto latest = usage ? usage->latest(job) : std::nullopt;
  return latest ? latest->cpu : std::nullopt;
}

void status(Query& q, const dashboard::UsageHistory* usage) {
  auto detail = wants_detail(q.params, q.out);
  if (!detail) return;
  shm::JobInfo info;
  if (!q.seg.table().read(q.job, info)) return no_such_job(q);
  if (!*detail) return append_reply(q.out, Code::kOk, state_word(info));
  std::string data;
  std::vector<shm::RunRecord> history = q.seg.history().read(info.slot);
  append_job_detail(data, info, now_seconds(), &history, cpu_of(usage, info.name));
  append_reply(q.out, Code::kOk, data);
}

std::string statusall_data(const shm::Segment& seg) {
  return jobs_object(seg, false, [](std::string& out, const shm::JobInfo& info, const std::string&) {
    out += state_word(info);
  });
}

// The jobs as the table held them when asked, with what only the loop may
// read (each job's CPU at the last usage sample, for the detail): what
// MEMALL and STATUSALL's detail are built from, at once or on the pool.
struct JobsTaken {
  std::vector<shm::JobInfo> jobs;
  std::vector<std::optional<double>> cpu;
  size_t running = 0;
  int64_t now = 0;
};

JobsTaken take_jobs(const shm::Segment& seg, const dashboard::UsageHistory* usage, bool with_cpu) {
  JobsTaken taken;
  taken.jobs.reserve(seg.table().count());
  seg.table().for_each([&](const shm::JobInfo& info, const std::string&) {
    taken.running += info.up();
    if (with_cpu) taken.cpu.push_back(cpu_of(usage, info.name));
    taken.jobs.push_back(info);
  });
  taken.now = now_seconds();
  return taken;
}

// Not cached: uptime and memory change by the second.
void statusall_detail(const JobsTaken& taken, std::string& out) {
  std::string data = "{";
  for (size_t i = 0; i < taken.jobs.size(); ++i) {
    const shm::JobInfo& info = taken.jobs[i];
    if (i) data.push_back(',');
    protocol::append_json_string(data, info.name);
    data.push_back(':');
    append_job_detail(data, info, taken.now, nullptr, taken.cpu[i]);
  }
  data.push_back('}');
  append_reply(out, Code::kOk, data);
}

// Answers with build(taken, out) at once, or on `loop`'s thread pool when
// it reads /proc for more jobs than is worth a stall of the loop.
bool from_proc(JobsTaken taken, void (*build)(const JobsTaken&, std::string&), uv_loop_t* loop,
               std::string& out, const Queries::Later& later) {
  if (!loop || taken.running <= Queries::kProcReadsOnLoop) {
    build(taken, out);
    return true;
  }
  struct Work {
    JobsTaken taken;
    std::string reply;
  };
  auto work = std::make_shared<Work>(Work{std::move(taken), {}});
  run_in_pool(
      loop, [work, build] { build(work->taken, work->reply); },
      [work, later] { later(std::move(work->reply)); });
  return false;
}

// The `since` extension: the lines numbered N and later, and the next N.
void read_since(Query& q, const shm::JobInfo& info, const rapidjson::Value& since) {
  auto first = protocol::coerce_int(since);
  if (!first || *first < 0)
    return append_reply(q.out, Code::kFailed, {}, "since must be a non-negative integer");
  uint64_t next = 0;
  auto lines = q.seg.job_ring(info.slot).since(static_cast<uint64_t>(*first), info.buffersize, next);
  std::string data = "{\"lines\":[";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) data.push_back(',');
    protocol::append_json_string(data, lines[i].text);
  }
  data += "],\"next\":" + std::to_string(next) + "}";
  append_reply(q.out, Code::kOk, data);
}

void read(Query& q) {
  shm::JobInfo info;
  if (!q.seg.table().read(q.job, info)) return no_such_job(q);
  if (const rapidjson::Value* since = param(q.params, "since")) return read_since(q, info, *since);
  std::string text = shm::join_lines(q.seg.job_ring(info.slot).last(info.buffersize));
  std::string data;
  protocol::append_json_string(data, text);
  append_reply(q.out, Code::kOk, data);
}

void mem(Query& q) {
  shm::JobInfo info;
  if (!q.seg.table().read(q.job, info)) return no_such_job(q);
  auto kb = info.up() ? rss_kb(info.pid) : std::nullopt;
  if (!kb) {
    append_reply(q.out, Code::kFailed, {}, "job \"" + std::string(q.job) + "\" is not running");
    return;
  }
  append_reply(q.out, Code::kOk, std::to_string(*kb));
}

void memall(const JobsTaken& taken, std::string& out) {
  std::string data = "{";
  for (const shm::JobInfo& info : taken.jobs) {
    auto kb = info.up() ? rss_kb(info.pid) : std::nullopt;
    if (!kb) continue;
    if (data.size() > 1) data.push_back(',');
    protocol::append_json_string(data, info.name);
    data.push_back(':');
    data += std::to_string(*kb);
  }
  data.push_back('}');
  append_reply(out, Code::kOk, data);
}

void servermem(Query& q) {
  const shm::Header& h = q.seg.header();
  long total = 0;
  for (int32_t pid : {h.master_pid, h.listener_pid.load(), h.supervisor_pid.load()})
    total += rss_kb(pid).value_or(0);
  append_reply(q.out, Code::kOk, std::to_string(total));
}

void serverread(Query& q) {
  std::string data;
  protocol::append_json_string(data, shm::join_lines(q.seg.server_ring().last(kServerReadEntries)));
  append_reply(q.out, Code::kOk, data);
}

// USAGE: a day of one job's samples.
void usage(Query& q, const dashboard::UsageHistory* usage) {
  shm::JobInfo info;
  if (!q.seg.table().read(q.job, info)) return no_such_job(q);
  std::string data;
  if (usage)
    usage->append_day(data, q.job, now_seconds());
  else
    dashboard::UsageHistory().append_day(data, q.job, now_seconds());
  append_reply(q.out, Code::kOk, data);
}

// USAGEALL: the last `points` samples (30 unless given) of every job.
void usageall(Query& q, const dashboard::UsageHistory* usage) {
  int64_t points = 30;
  if (const rapidjson::Value* p = param(q.params, "points")) {
    auto n = protocol::coerce_int(*p);
    if (!n || *n < 1 || *n > int64_t(dashboard::UsageHistory::kPoints)) {
      append_reply(q.out, Code::kFailed, {},
                   "points must be an integer from 1 to " + std::to_string(dashboard::UsageHistory::kPoints));
      return;
    }
    points = *n;
  }
  dashboard::UsageHistory none;
  const dashboard::UsageHistory& from = usage ? *usage : none;
  int64_t now = now_seconds();
  append_reply(q.out, Code::kOk, jobs_object(q.seg, false, [&](std::string& out, const shm::JobInfo& info, const std::string&) {
    from.append_recent(out, info.name, size_t(points), now);
  }));
}

}  // namespace

const std::string& Queries::cached(Cached& cache, std::string (*build)(const shm::Segment&)) {
  uint64_t before = seg_.table().changes();
  if (cache.changes == before) return cache.data;
  cache.data = build(seg_);
  // Kept only if no write slipped in while it was being built.
  cache.changes = seg_.table().changes() == before ? before : UINT64_MAX;
  return cache.data;
}

bool Queries::answer(protocol::CoreCommand command, std::string_view job, const rapidjson::Value& params,
                     std::string& out, const Later& later) {
  using enum protocol::CoreCommand;
  Query q{seg_, job, params, out};
  switch (command) {
    case kStatusAll: {
      auto detail = wants_detail(params, out);
      if (!detail) return true;
      if (*detail) return from_proc(take_jobs(seg_, usage_, true), statusall_detail, loop_, out, later);
      append_reply(out, Code::kOk, cached(statusall_, statusall_data));
      return true;
    }
    case kGetAll: append_reply(out, Code::kOk, cached(getall_, getall_data)); return true;
    case kGet: get(q); return true;
    case kStatus: status(q, usage_); return true;
    case kRead: read(q); return true;
    case kMem: mem(q); return true;
    case kMemAll: return from_proc(take_jobs(seg_, usage_, false), memall, loop_, out, later);
    case kServerMem: servermem(q); return true;
    case kServerRead: serverread(q); return true;
    case kUsage: usage(q, usage_); return true;
    case kUsageAll: usageall(q, usage_); return true;
    case kAdd: case kDelete: case kUpdate: case kStart: case kStop: case kRestart: break;
  }
  append_reply(out, Code::kFailed, {}, "not a query");
  return true;
}

}  // namespace backend::worker
