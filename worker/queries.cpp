#include "worker/queries.h"

#include <unordered_map>

#include "protocol/response.h"
#include "shm/job_table.h"
#include "shm/ring.h"
#include "worker/proc_info.h"

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

bool running(const shm::JobInfo& info) {
  return info.pid > 0 && info.state != shm::JobState::kDown;
}

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

std::string getall_data(const shm::Segment& seg) {
  std::string data = "{";
  seg.table().for_each(
      [&](const shm::JobInfo& info, const std::string& settings) {
        if (data.size() > 1) data.push_back(',');
        protocol::append_json_string(data, info.name);
        data.push_back(':');
        data += settings;
      },
      true);
  data.push_back('}');
  return data;
}

std::string_view state_word(const shm::JobInfo& info) { return running(info) ? "\"UP\"" : "\"DOWN\""; }

void status(Query& q) {
  shm::JobInfo info;
  if (!q.seg.table().read(q.job, info)) return no_such_job(q);
  append_reply(q.out, Code::kOk, state_word(info));
}

std::string statusall_data(const shm::Segment& seg) {
  std::string data = "{";
  seg.table().for_each([&](const shm::JobInfo& info, const std::string&) {
    if (data.size() > 1) data.push_back(',');
    protocol::append_json_string(data, info.name);
    data.push_back(':');
    data += state_word(info);
  });
  data.push_back('}');
  return data;
}

void read(Query& q) {
  shm::JobInfo info;
  if (!q.seg.table().read(q.job, info)) return no_such_job(q);
  std::string text = shm::join_lines(q.seg.job_ring(info.slot).last(info.buffersize));
  std::string data;
  protocol::append_json_string(data, text);
  append_reply(q.out, Code::kOk, data);
}

void mem(Query& q) {
  shm::JobInfo info;
  if (!q.seg.table().read(q.job, info)) return no_such_job(q);
  auto kb = running(info) ? rss_kb(info.pid) : std::nullopt;
  if (!kb) {
    append_reply(q.out, Code::kFailed, {}, "job \"" + std::string(q.job) + "\" is not running");
    return;
  }
  append_reply(q.out, Code::kOk, std::to_string(*kb));
}

void memall(Query& q) {
  std::string data = "{";
  q.seg.table().for_each([&](const shm::JobInfo& info, const std::string&) {
    auto kb = running(info) ? rss_kb(info.pid) : std::nullopt;
    if (!kb) return;
    if (data.size() > 1) data.push_back(',');
    protocol::append_json_string(data, info.name);
    data += ":" + std::to_string(*kb);
  });
  data.push_back('}');
  append_reply(q.out, Code::kOk, data);
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

using Handler = void (*)(Query&);

const std::unordered_map<std::string_view, Handler>& handlers() {
  static const std::unordered_map<std::string_view, Handler> table = {
      {"GET", get},       {"STATUS", status},       {"READ", read},
      {"MEM", mem},       {"MEMALL", memall},       {"SERVERMEM", servermem},
      {"SERVERREAD", serverread},
  };
  return table;
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

bool Queries::answer(std::string_view command, std::string_view job, const rapidjson::Value& params,
                     std::string& out) {
  if (command == "STATUSALL") {
    append_reply(out, Code::kOk, cached(statusall_, statusall_data));
    return true;
  }
  if (command == "GETALL") {
    append_reply(out, Code::kOk, cached(getall_, getall_data));
    return true;
  }
  auto it = handlers().find(command);
  if (it == handlers().end()) return false;
  Query q{seg_, job, params, out};
  it->second(q);
  return true;
}

}  // namespace backend::worker
