#include "worker/listener/dashboard/usage_history.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "protocol/response.h"

namespace backend::worker::dashboard {

UsageHistory::Hour::Hour() {
  std::fill(std::begin(mem_kb), std::end(mem_kb), kNoMem);
  std::fill(std::begin(cpu), std::end(cpu), kNoCpu);
}

void UsageHistory::Track::put(size_t point, uint32_t mem, uint16_t cpu_tenths) {
  auto& hour = hours[point / kHourPoints];
  if (!hour) hour = std::make_unique<Hour>();
  hour->mem_kb[point % kHourPoints] = mem;
  hour->cpu[point % kHourPoints] = cpu_tenths;
}

void UsageHistory::Track::clear(size_t point) {
  if (auto& hour = hours[point / kHourPoints]) {
    hour->mem_kb[point % kHourPoints] = kNoMem;
    hour->cpu[point % kHourPoints] = kNoCpu;
  }
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

void UsageHistory::append_series(std::string& out, const Track* t, int64_t last_minute, size_t points) const {
  auto value_at = [&](int64_t m, bool mem) -> std::optional<double> {
    if (!t || t->last_minute < 0 || m > t->last_minute || m <= t->last_minute - int64_t(kPoints) || m < 0)
      return std::nullopt;
    size_t i = size_t(m) % kPoints;
    const Hour* hour = t->hours[i / kHourPoints].get();
    if (!hour || hour->mem_kb[i % kHourPoints] == kNoMem) return std::nullopt;
    if (mem) return hour->mem_kb[i % kHourPoints];
    if (hour->cpu[i % kHourPoints] == kNoCpu) return std::nullopt;
    return hour->cpu[i % kHourPoints] / 10.0;
  };
  for (bool mem : {true, false}) {
    out += mem ? "\"mem\":[" : ",\"cpu\":[";
    for (size_t k = 0; k < points; ++k) {
      if (k) out += ',';
      auto v = value_at(last_minute - int64_t(points - 1 - k), mem);
      if (!v)
        out += "null";
      else if (mem)
        out += std::to_string(static_cast<uint64_t>(*v));
      else
        protocol::append_json_decimal(out, *v);
    }
    out += ']';
  }
}

void UsageHistory::append_day(std::string& out, std::string_view name, int64_t now_s) const {
  auto it = tracks_.find(std::string(name));
  int64_t minute = now_s / kStepSeconds;
  out += "{\"step\":" + std::to_string(kStepSeconds) + ",\"end\":" + std::to_string(minute * kStepSeconds) + ",";
  append_series(out, it == tracks_.end() ? nullptr : &it->second, minute, kPoints);
  out += '}';
}

void UsageHistory::append_recent(std::string& out, std::string_view name, size_t points, int64_t now_s) const {
  auto it = tracks_.find(std::string(name));
  out += '{';
  append_series(out, it == tracks_.end() ? nullptr : &it->second, now_s / kStepSeconds, std::min(points, kPoints));
  out += '}';
}

}  // namespace backend::worker::dashboard
