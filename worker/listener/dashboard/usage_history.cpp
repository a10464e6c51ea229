#include "worker/listener/dashboard/usage_history.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <iterator>

#include "protocol/response.h"

namespace backend::worker::dashboard {

UsageHistory::Hour::Hour() {
  std::fill(std::begin(mem_kb), std::end(mem_kb), kNoMem);
  std::fill(std::begin(cpu), std::end(cpu), kNoCpu);
}

UsageHistory::Hour& UsageHistory::Track::writable(size_t h) {
  auto& hour = hours[h];
  if (!hour) {
    hour = std::make_shared<Hour>();
  } else if (hour.use_count() > 1) {
    hour = std::make_shared<Hour>(*hour);  // a view reads it, perhaps on another thread
  } else {
    // Views are taken on this thread only, so a count of one stays one. A
    // view just let go on the pool: its reads happen before these writes.
    std::atomic_thread_fence(std::memory_order_acquire);
  }
  return *hour;
}

void UsageHistory::Track::put(size_t point, uint32_t mem, uint16_t cpu_tenths) {
  Hour& hour = writable(point / kHourPoints);
  hour.mem_kb[point % kHourPoints] = mem;
  hour.cpu[point % kHourPoints] = cpu_tenths;
}

void UsageHistory::Track::clear(size_t point) {
  if (!hours[point / kHourPoints]) return;
  Hour& hour = writable(point / kHourPoints);
  hour.mem_kb[point % kHourPoints] = kNoMem;
  hour.cpu[point % kHourPoints] = kNoCpu;
}

UsageHistory::Probes UsageHistory::take(const shm::JobTable& table) {
  Probes probes;
  table.for_each([&](const shm::JobInfo& info, const std::string&) {
    probes.push_back({info.name, info.up() ? info.pid : 0, info.start_ticks, std::nullopt});
  });
  return probes;
}

void UsageHistory::read(Probes& probes) const {
  for (Probe& p : probes)
    if (p.pid > 0) p.usage = reader_(p.pid);
}

void UsageHistory::record(const Probes& probes, double mono_s, int64_t now_s) {
  ++samples_;
  int64_t minute = now_s / kStepSeconds;
  for (const Probe& p : probes) {
    Track& t = tracks_[p.name];
    t.seen = samples_;
    if (!p.usage) {  // down, or gone before it was read
      t.latest.reset();
      continue;
    }
    const ProcUsage& usage = *p.usage;
    // The same process as at the last read: its CPU time since then over
    // the time between is its share of a core.
    std::optional<double> cpu;
    if (t.pid == p.pid && t.start_ticks == p.start_ticks && mono_s > t.read_at)
      cpu = std::max(0.0, (usage.cpu_seconds - t.cpu_s) / (mono_s - t.read_at) * 100.0);
    t.pid = p.pid;
    t.start_ticks = p.start_ticks;
    t.cpu_s = usage.cpu_seconds;
    t.read_at = mono_s;
    t.latest = Latest{usage.rss_bytes / 1024, cpu};
    // Minutes between the last written one and this one had no sample:
    // cleared, so that a day-old value never shows as today's.
    if (t.last_minute >= 0 && minute > t.last_minute + 1)
      for (int64_t m = t.last_minute + 1; m < minute && m <= t.last_minute + int64_t(kPoints); ++m)
        t.clear(size_t(m) % kPoints);
    if (minute >= t.last_minute) {
      t.put(size_t(minute) % kPoints, static_cast<uint32_t>(std::min<uint64_t>(t.latest->mem_kb, kNoMem - 1)),
            cpu ? static_cast<uint16_t>(std::min<double>(std::round(*cpu * 10), kNoCpu - 1)) : kNoCpu);
      t.last_minute = minute;
    }
  }
  // Jobs deleted since the last sample take their history with them.
  std::erase_if(tracks_, [&](const auto& kv) { return kv.second.seen != samples_; });
}

void UsageHistory::sample(const shm::JobTable& table, double mono_s, int64_t now_s) {
  Probes probes = take(table);
  read(probes);
  record(probes, mono_s, now_s);
}

size_t UsageHistory::hours_held() const {
  size_t n = 0;
  for (const auto& [name, t] : tracks_)
    for (const auto& hour : t.hours) n += hour != nullptr;
  return n;
}

std::optional<UsageHistory::Latest> UsageHistory::latest(std::string_view name) const {
  auto it = tracks_.find(std::string(name));
  return it == tracks_.end() ? std::nullopt : it->second.latest;
}

void UsageHistory::append_series(std::string& out, const HourRef* hours, int64_t first_hour, int64_t last_written,
                                 int64_t last_minute, size_t points) {
  const int64_t first = last_minute - int64_t(points) + 1;
  // Minutes with a point: within the day up to the newest one written.
  const int64_t from = last_written < 0 ? INT64_MAX : std::max<int64_t>(last_written - int64_t(kPoints) + 1, 0);
  const int64_t to = last_written;
  char buf[24];
  for (bool mem : {true, false}) {
    out += mem ? "\"mem\":[" : ",\"cpu\":[";
    for (int64_t m = first; m <= last_minute; ++m) {
      if (m != first) out += ',';
      const Hour* hour = m >= from && m <= to ? hours[m / int64_t(kHourPoints) - first_hour].get() : nullptr;
      const size_t i = size_t(m) % kHourPoints;  // an hour of the day begins at a multiple of kHourPoints
      if (!hour || hour->mem_kb[i] == kNoMem || (!mem && hour->cpu[i] == kNoCpu)) {
        out += "null";
      } else if (mem) {
        out.append(buf, std::to_chars(buf, buf + sizeof buf, hour->mem_kb[i]).ptr);
      } else {
        // Tenths of a percent, as "%.1f" of the percent would print them.
        char* end = std::to_chars(buf, buf + sizeof buf, hour->cpu[i] / 10).ptr;
        *end++ = '.';
        *end++ = char('0' + hour->cpu[i] % 10);
        out.append(buf, end);
      }
    }
    out += ']';
  }
}

UsageHistory::Recent UsageHistory::recent(std::vector<std::string> names, size_t points, int64_t now_s) const {
  Recent view;
  view.points_ = std::min(std::max<size_t>(points, 1), kPoints);
  view.last_minute_ = now_s / kStepSeconds;
  const int64_t first = std::max<int64_t>(view.last_minute_ - int64_t(view.points_) + 1, 0);
  view.first_hour_ = first / int64_t(kHourPoints);
  view.hours_each_ = size_t(view.last_minute_ / int64_t(kHourPoints) - view.first_hour_ + 1);
  view.series_.reserve(names.size());
  view.hours_.reserve(names.size() * view.hours_each_);
  for (std::string& name : names) {
    auto it = tracks_.find(name);
    view.series_.push_back({std::move(name), it == tracks_.end() ? -1 : it->second.last_minute});
    for (size_t k = 0; k < view.hours_each_; ++k) {
      if (it == tracks_.end()) {
        view.hours_.emplace_back();
        continue;
      }
      const int64_t hour = view.first_hour_ + int64_t(k);
      view.hours_.push_back(it->second.hours[size_t(hour) % (kPoints / kHourPoints)]);
    }
  }
  return view;
}

void UsageHistory::Recent::append(std::string& out, size_t i) const {
  const Series& s = series_[i];
  out += '{';
  append_series(out, hours_.data() + i * hours_each_, first_hour_, s.last_written, last_minute_, points_);
  out += '}';
}

void UsageHistory::append_day(std::string& out, std::string_view name, int64_t now_s) const {
  int64_t minute = now_s / kStepSeconds;
  out += "{\"step\":" + std::to_string(kStepSeconds) + ",\"end\":" + std::to_string(minute * kStepSeconds) + ",";
  auto view = recent({std::string(name)}, kPoints, now_s);
  append_series(out, view.hours_.data(), view.first_hour_, view.series_[0].last_written, minute, kPoints);
  out += '}';
}

void UsageHistory::append_recent(std::string& out, std::string_view name, size_t points, int64_t now_s) const {
  recent({std::string(name)}, points, now_s).append(out, 0);
}

}  // namespace backend::worker::dashboard
