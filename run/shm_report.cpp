#include "run/shm_report.h"

#include <csignal>
#include <cstdio>
#include <cstring>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "shm/job_table.h"
#include "worker/common/signal_name.h"
#include "shm/ring.h"

namespace backend::tools {
namespace {

const char* state_name(shm::JobState s) {
  switch (s) {
    case shm::JobState::kUp: return "UP";
    case shm::JobState::kStarting: return "STARTING";
    case shm::JobState::kStopping: return "STOPPING";
    default: return "DOWN";
  }
}

std::string last_exit(const shm::JobInfo& j) {
  if (j.last_exit_at == 0) return "-";
  if (j.last_exit_signal) return worker::signal_name(j.last_exit_signal);
  return "code " + std::to_string(j.last_exit_code);
}

std::string uptime(const shm::JobInfo& j, long now) {
  if (j.pid <= 0 || j.started_at == 0) return "-";
  long s = now - j.started_at;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ldd%02ld:%02ld:%02ld", s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
  return buf;
}

// When the guarder starts a job that keeps dying again: "in 4s", or "-".
std::string next_retry(const shm::JobInfo& j, long now) {
  if (j.next_retry_at == 0) return "-";
  return "in " + std::to_string(j.next_retry_at > now ? j.next_retry_at - now : 0) + "s";
}

}  // namespace

std::string header_text(const std::string& name, const shm::Segment& seg) {
  const shm::Header& h = seg.header();
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "segment     %s: %llu bytes, layout %u, boost %u\n"
                "processes   master %d, listener %d, supervisor %d (generation %llu)\n"
                "jobs        %u of %u slots; ring %u bytes per job, server ring %u bytes\n",
                name.c_str(), static_cast<unsigned long long>(h.segment_size), h.layout_version,
                h.boost_version, h.master_pid, h.listener_pid.load(), h.supervisor_pid.load(),
                static_cast<unsigned long long>(h.generation.load()), h.job_count.load(), h.capacity,
                h.ring_bytes, h.server_ring_bytes);
  return buf;
}

std::string jobs_text(const shm::Segment& seg, long now) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-32s %-8s %8s %13s %10s %8s %10s\n", "NAME", "STATE", "PID", "UPTIME",
                "LAST EXIT", "RESTARTS", "NEXT RETRY");
  out += line;
  seg.table().for_each([&](const shm::JobInfo& j, const std::string&) {
    std::snprintf(line, sizeof line, "%-32s %-8s %8s %13s %10s %8u %10s\n", j.name.c_str(), state_name(j.state),
                  j.pid > 0 ? std::to_string(j.pid).c_str() : "-", uptime(j, now).c_str(),
                  last_exit(j).c_str(), j.restarts, next_retry(j, now).c_str());
    out += line;
  });
  return out;
}

std::string status_json(const std::string& name, const shm::Segment& seg, long now) {
  const shm::Header& h = seg.header();
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("segment");
  w.String(name.c_str());
  w.Key("size"), w.Uint64(h.segment_size);
  w.Key("layout_version"), w.Uint(h.layout_version);
  w.Key("boost_version"), w.Uint(h.boost_version);
  w.Key("master_pid"), w.Int(h.master_pid);
  w.Key("listener_pid"), w.Int(h.listener_pid.load());
  w.Key("supervisor_pid"), w.Int(h.supervisor_pid.load());
  w.Key("generation"), w.Uint64(h.generation.load());
  w.Key("capacity"), w.Uint(h.capacity);
  w.Key("jobs");
  w.StartArray();
  seg.table().for_each([&](const shm::JobInfo& j, const std::string&) {
    w.StartObject();
    w.Key("name"), w.String(j.name.c_str());
    w.Key("state"), w.String(state_name(j.state));
    w.Key("pid");
    j.pid > 0 ? w.Int(j.pid) : w.Null();
    w.Key("uptime");
    j.pid > 0 && j.started_at ? w.Int64(now - j.started_at) : w.Null();
    w.Key("last_exit");
    if (j.last_exit_at == 0) {
      w.Null();
    } else {
      w.StartObject();
      w.Key("code");
      j.last_exit_signal ? w.Null() : w.Int(j.last_exit_code);
      w.Key("signal");
      j.last_exit_signal ? w.Int(j.last_exit_signal) : w.Null();
      w.Key("at"), w.Int64(j.last_exit_at);
      w.EndObject();
    }
    w.Key("restarts"), w.Uint(j.restarts);
    w.Key("next_retry_at");
    j.next_retry_at ? w.Int64(j.next_retry_at) : w.Null();
    w.Key("slot"), w.Uint(j.slot);
    w.EndObject();
  });
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString()) + "\n";
}

bool ring_lines(const shm::Segment& seg, const std::string& job, bool json, std::string& out) {
  std::vector<shm::RingLine> lines;
  if (job.empty()) {
    lines = seg.server_ring().last(SIZE_MAX);
  } else {
    shm::JobInfo info;
    if (!seg.table().read(job, info)) return false;
    lines = seg.job_ring(info.slot).last(SIZE_MAX);
  }
  if (!json) {
    for (const auto& l : lines) out += l.text + "\n";
    return true;
  }
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartArray();
  for (const auto& l : lines) {
    w.StartObject();
    w.Key("n"), w.Uint64(l.number);
    w.Key("text"), w.String(l.text.c_str(), static_cast<rapidjson::SizeType>(l.text.size()));
    w.EndObject();
  }
  w.EndArray();
  out = std::string(sb.GetString()) + "\n";
  return true;
}

}  // namespace backend::tools
