#include "worker/listener/dashboard/event_stream.h"

#include "protocol/response.h"
#include "shm/job_table.h"
#include "shm/ring.h"
#include "worker/listener/job_detail.h"

namespace backend::worker::dashboard {
namespace {

// Lines one event carries at most: a job that prints faster than a page can
// show is followed with a gap (the page sees it from the numbers).
constexpr size_t kMaxLines = 2000;

void event(std::string& out, std::string_view name, std::string_view data, std::string_view id = {}) {
  if (!id.empty()) {
    out += "id: ";
    out += id;
    out += '\n';
  }
  out += "event: ";
  out += name;
  out += "\ndata: ";
  out += data;  // JSON: one line, its newlines escaped
  out += "\n\n";
}

}  // namespace

EventStream::EventStream(const shm::Segment& seg, const UsageHistory* usage, Kind kind, std::string job,
                         uint64_t since)
    : seg_(seg), usage_(usage), kind_(kind), job_(std::move(job)), next_line_(since) {}

EventStream::Seen EventStream::seen_of(const shm::JobInfo& info) {
  return {info.pid, info.state, info.restarts, info.last_exit_at, info.next_retry_at};
}

void EventStream::begin(std::string& out, int64_t now_s, uint64_t now_ms) {
  // The browser retries a dropped stream after this many milliseconds.
  out += "retry: 2000\n\n";
  usage_ms_ = beat_ms_ = now_ms;
  if (kind_ == Kind::kServer) return lines(out, seg_.server_ring());
  if (kind_ == Kind::kJobs) {
    // One event with every job, so that the page has its table at once.
    std::string data = "{";
    seg_.table().for_each([&](const shm::JobInfo& info, const std::string&) {
      if (data.size() > 1) data += ',';
      protocol::append_json_string(data, info.name);
      data += ':';
      auto latest = usage_ ? usage_->latest(info.name) : std::nullopt;
      append_job_detail(data, info, now_s, nullptr, latest ? latest->cpu : std::nullopt);
      seen_[info.name] = seen_of(info);
    });
    data += '}';
    table_changes_ = seg_.table().changes();
    scanned_ms_ = now_ms;
    return event(out, "jobs", data);
  }
  scan_table(out, now_s, true);
  if (slot_ != UINT32_MAX) lines(out, seg_.job_ring(slot_));
  table_changes_ = seg_.table().changes();
  scanned_ms_ = now_ms;
}

void EventStream::pump(std::string& out, int64_t now_s, uint64_t now_ms) {
  size_t before = out.size();
  if (kind_ == Kind::kServer) {
    lines(out, seg_.server_ring());
  } else {
    uint64_t changes = seg_.table().changes();
    if (changes != table_changes_ && now_ms - scanned_ms_ >= (kind_ == Kind::kJobs ? kTableScanMs : 0)) {
      table_changes_ = changes;
      scanned_ms_ = now_ms;
      scan_table(out, now_s, false);
    }
    if (kind_ == Kind::kJob && slot_ != UINT32_MAX) lines(out, seg_.job_ring(slot_));
    if (now_ms - usage_ms_ >= kUsageMs) {
      usage_ms_ = now_ms;
      usage(out);
    }
  }
  if (out.size() == before && now_ms - beat_ms_ >= kBeatMs) out += ": still here\n\n";
  if (out.size() != before) beat_ms_ = now_ms;
}

void EventStream::job_event(std::string& out, const shm::JobInfo& info, int64_t now_s) {
  std::string data = "{\"name\":";
  protocol::append_json_string(data, info.name);
  data += ',';
  std::string detail;
  auto latest = usage_ ? usage_->latest(info.name) : std::nullopt;
  append_job_detail(detail, info, now_s, nullptr, latest ? latest->cpu : std::nullopt);
  data.append(detail, 1);  // past its '{'
  event(out, "job", data);
}

// Sends the jobs whose run changed, and the ones deleted. For one job it
// also finds the job's ring (a job deleted and added again has a new one).
void EventStream::scan_table(std::string& out, int64_t now_s, bool all) {
  auto gone = [&](const std::string& name) {
    std::string data = "{\"name\":";
    protocol::append_json_string(data, name);
    event(out, "gone", data + "}");
  };
  if (kind_ == Kind::kJob) {
    shm::JobInfo info;
    if (!seg_.table().read(job_, info)) {
      if (seen_.erase(job_)) gone(job_);
      if (slot_ != UINT32_MAX) next_line_ = 0;  // added again, it has a new ring
      slot_ = UINT32_MAX;
      return;
    }
    if (slot_ != info.slot && slot_ != UINT32_MAX) next_line_ = 0;
    slot_ = info.slot;
    Seen now = seen_of(info);
    auto it = seen_.find(job_);
    if (all || it == seen_.end() || !(it->second == now)) {
      seen_[job_] = now;
      job_event(out, info, now_s);
    }
    return;
  }
  std::unordered_map<std::string, Seen> current;
  current.reserve(seen_.size());
  seg_.table().for_each([&](const shm::JobInfo& info, const std::string&) {
    Seen now = seen_of(info);
    auto it = seen_.find(info.name);
    if (all || it == seen_.end() || !(it->second == now)) job_event(out, info, now_s);
    current.emplace(info.name, now);
  });
  for (const auto& [name, _] : seen_)
    if (!current.count(name)) gone(name);
  seen_ = std::move(current);
}

void EventStream::lines(std::string& out, const shm::Ring& ring) {
  if (ring.next_line() == next_line_) return;  // the common case: nothing new
  uint64_t next = 0;
  auto got = ring.since(next_line_, kMaxLines, next);
  if (got.empty() && next == next_line_) return;
  std::string data = "{\"lines\":[";
  for (size_t i = 0; i < got.size(); ++i) {
    if (i) data += ',';
    data += "{\"n\":" + std::to_string(got[i].number) + (got[i].is_err ? ",\"err\":true" : ",\"err\":false") +
            ",\"text\":";
    protocol::append_json_string(data, got[i].text);
    data += '}';
  }
  data += "],\"next\":" + std::to_string(next) + "}";
  next_line_ = next;
  event(out, "lines", data, std::to_string(next));
}

void EventStream::usage(std::string& out) {
  if (!usage_) return;
  std::string data = "{";
  auto one = [&](const std::string& name) {
    auto latest = usage_->latest(name);
    if (!latest) return;
    if (data.size() > 1) data += ',';
    protocol::append_json_string(data, name);
    data += ":{\"mem\":" + std::to_string(latest->mem_kb) + ",\"cpu\":";
    if (latest->cpu) {
      protocol::append_json_decimal(data, *latest->cpu);
    } else {
      data += "null";
    }
    data += '}';
  };
  if (kind_ == Kind::kJob)
    one(job_);
  else
    for (const auto& [name, _] : seen_) one(name);
  data += '}';
  if (data.size() > 2) event(out, "usage", data);
}

}  // namespace backend::worker::dashboard
