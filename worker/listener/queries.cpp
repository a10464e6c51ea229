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
  size_t start = protocol::begin_ok_reply(out);
  out.push_back('{');
  for (size_t i = 0; i < taken.jobs.size(); ++i) {
    const shm::JobInfo& info = taken.jobs[i];
    if (i) out.push_back(',');
    protocol::append_json_string(out, info.name);
    out.push_back(':');
    append_job_detail(out, info, taken.now, nullptr, taken.cpu[i]);
  }
  out.push_back('}');
  protocol::end_reply(out, start);
}

// Answers with build(taken, out) at once, or on `loop`'s thread pool when
// it is `heavy`: more work than is worth a stall of the loop.
template <class Taken>
bool build_reply(Taken taken, bool heavy, void (*build)(const Taken&, std::string&), uv_loop_t* loop,
                 std::string& out, const Queries::Later& later) {
  if (!loop || !heavy) {
    build(taken, out);
    return true;
  }
  struct Work {
    Taken taken;
    std::string reply;
  };
  auto work = std::make_shared<Work>(Work{std::move(taken), {}});
  run_in_pool(
      loop,
      [work, build] {
        build(work->taken, work->reply);
        work->taken = Taken{};  // freed here, not on the loop
      },
      [work, later] { later(std::move(work->reply)); });
  return false;
}

bool from_proc(JobsTaken taken, void (*build)(const JobsTaken&, std::string&), uv_loop_t* loop,
               std::string& out, const Queries::Later& later) {
  bool heavy = taken.running > Queries::kProcReadsOnLoop;
  return build_reply(std::move(taken), heavy, build, loop, out, later);
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
  size_t start = protocol::begin_ok_reply(out);
  out.push_back('{');
  bool first = true;
  for (const shm::JobInfo& info : taken.jobs) {
    auto kb = info.up() ? rss_kb(info.pid) : std::nullopt;
    if (!kb) continue;
    if (!first) out.push_back(',');
    first = false;
    protocol::append_json_string(out, info.name);
    out.push_back(':');
    out += std::to_string(*kb);
  }
  out.push_back('}');
  protocol::end_reply(out, start);
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

void usageall_data(const dashboard::UsageHistory::Recent& recent, std::string& out) {
  // Sized once for mostly "null" points: growing by doubling would fill
  // fresh pages twice over (new memory's page faults were a large
  // part of a build's time in the profiles of /metrics).
  out.reserve(out.size() + recent.size() * (2 * recent.points() * 5 + 48));
  size_t start = protocol::begin_ok_reply(out);
  out.push_back('{');
  for (size_t i = 0; i < recent.size(); ++i) {
    if (i) out.push_back(',');
    protocol::append_json_string(out, recent.name(i));
    out.push_back(':');
    recent.append(out, i);
  }
  out.push_back('}');
  protocol::end_reply(out, start);
}

// USAGEALL: the last `points` samples (30 unless given) of every job.
bool usageall(Query& q, const dashboard::UsageHistory* usage, uv_loop_t* loop, const Queries::Later& later) {
  int64_t points = 30;
  if (const rapidjson::Value* p = param(q.params, "points")) {
    auto n = protocol::coerce_int(*p);
    if (!n || *n < 1 || *n > int64_t(dashboard::UsageHistory::kPoints)) {
      append_reply(q.out, Code::kFailed, {},
                   "points must be an integer from 1 to " + std::to_string(dashboard::UsageHistory::kPoints));
      return true;
    }
    points = *n;
  }
  std::vector<std::string> names;
  names.reserve(q.seg.table().count());
  q.seg.table().for_each([&](const shm::JobInfo& info, const std::string&) { names.push_back(info.name); });
  bool heavy = names.size() * size_t(points) * 2 > Queries::kUsageValuesOnLoop;
  dashboard::UsageHistory none;
  auto recent = (usage ? *usage : none).recent(std::move(names), size_t(points), now_seconds());
  return build_reply(std::move(recent), heavy, usageall_data, loop, q.out, later);
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
    case kUsageAll: return usageall(q, usage_, loop_, later);
    case kAdd: case kDelete: case kUpdate: case kStart: case kStop: case kRestart: break;
  }
  append_reply(out, Code::kFailed, {}, "not a query");
  return true;
}

}  // namespace backend::worker
