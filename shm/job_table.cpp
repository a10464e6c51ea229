#include "shm/job_table.h"

#include <algorithm>
#include <cstring>

#include <sys/wait.h>

#include "shm/lock.h"
#include "shm/ring.h"
#include "shm/run_history.h"

namespace backend::shm {
namespace {

uint32_t name_hash(std::string_view name) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  return h;
}

std::string_view slot_name(const JobSlot& s) {
  return {s.name, std::min<size_t>(s.name_len, kMaxName)};
}

void write_exit(JobSlot& s, int status, int64_t at) {
  s.state = static_cast<uint8_t>(JobState::kDown);
  s.pid = 0;
  s.last_exit_at = at;
  s.last_exit_code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  s.last_exit_signal = status >= 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

}  // namespace

JobTable::JobTable(Header& header, char* base)
    : h_(header),
      slots_(reinterpret_cast<JobSlot*>(base + header.slots_offset)),
      settings_(reinterpret_cast<SettingsArea*>(base + header.settings_offset)),
      overflow_(reinterpret_cast<SettingsOverflow*>(base + header.settings_overflow_offset)),
      index_(reinterpret_cast<int32_t*>(base + header.index_offset)) {}

std::optional<uint32_t> JobTable::find(std::string_view name) const {
  if (name.empty() || name.size() > kMaxName) return std::nullopt;
  const uint32_t mask = h_.index_entries - 1;
  std::optional<uint32_t> found;
  bool ok = seq_read(h_.index_seq, [&] {
    found.reset();
    for (uint32_t i = name_hash(name) & mask, n = 0; n <= mask; i = (i + 1) & mask, ++n) {
      int32_t e = index_[i];
      if (e <= 0 || uint32_t(e) > h_.capacity) return;
      if (slot_name(slots_[e - 1]) == name) {
        found = uint32_t(e - 1);
        return;
      }
    }
  });
  return ok ? found : std::nullopt;
}

bool JobTable::read(uint32_t i, JobInfo& out, std::string* settings_json) const {
  if (i >= h_.capacity) return false;
  const JobSlot& s = slots_[i];
  bool used = false;
  bool ok = seq_read(s.seq, [&] {
    used = s.used;
    if (!used) return;
    out.slot = i;
    out.name.assign(slot_name(s));
    out.state = static_cast<JobState>(s.state);
    out.pid = s.pid;
    out.started_at = s.started_at;
    out.start_ticks = s.start_ticks;
    out.last_exit_at = s.last_exit_at;
    out.last_exit_code = s.last_exit_code;
    out.last_exit_signal = s.last_exit_signal;
    out.restarts = s.restarts;
    out.flags = s.flags;
    out.next_retry_at = s.next_retry_at;
    for (size_t r = 0; r < kStartReasons; ++r) out.starts[r] = s.starts[r].load(std::memory_order_relaxed);
    for (int k = 0; k < 2; ++k) out.output_lines[k] = s.output_lines[k].load(std::memory_order_relaxed);
    out.start_reason = static_cast<StartReason>(s.start_reason);
    out.buffersize = s.buffersize;
    if (settings_json) {
      // Read once: a torn length picks an area and a size that agree, and
      // the seqlock discards the copy.
      const size_t len = std::min<size_t>(s.settings_len, kSettingsBytes);
      settings_json->assign(settings(i, len), len);
    }
  });
  return ok && used;
}

bool JobTable::read(std::string_view name, JobInfo& out, std::string* settings_json) const {
  auto i = find(name);
  // The slot may have been reused between find and read: check the name.
  return i && read(*i, out, settings_json) && out.name == name;
}

std::optional<uint32_t> JobTable::insert(std::string_view name, std::string_view settings_json,
                                         uint32_t buffersize, uint32_t marks) {
  if (name.empty() || name.size() > kMaxName || settings_json.size() > kSettingsBytes)
    return std::nullopt;
  uint32_t i = 0;
  while (i < h_.capacity && slots_[i].used) ++i;
  if (i == h_.capacity) return std::nullopt;
  auto* rings = reinterpret_cast<RingHeader*>(reinterpret_cast<char*>(&h_) + h_.ring_headers_offset);
  Ring::init(&rings[i], h_.ring_bytes);
  RunHistory(h_, reinterpret_cast<char*>(&h_)).clear(i);
  update(i, [&](JobSlot& s) {
    std::memset(s.name, 0, sizeof s.name);
    std::memcpy(s.name, name.data(), name.size());
    s.name_len = static_cast<uint16_t>(name.size());
    s.state = static_cast<uint8_t>(JobState::kDown);
    s.pid = 0;
    s.started_at = s.last_exit_at = 0;
    s.start_ticks = 0;
    s.last_exit_code = -1;
    s.last_exit_signal = 0;
    s.restarts = 0;
    s.flags = marks;
    s.next_retry_at = 0;
    for (auto& n : s.starts) n.store(0);
    for (auto& n : s.output_lines) n.store(0);
    for (auto& intent : s.log_intent) intent.first.store(kNoLogIntent);
    s.start_reason = 0;
    s.buffersize = buffersize;
    std::memcpy(settings(i, settings_json.size()), settings_json.data(), settings_json.size());
    s.settings_len = static_cast<uint32_t>(settings_json.size());
    s.used = 1;
  });
  seq_write(h_.index_seq, [&] { index_put(i); });
  h_.job_count.fetch_add(1, std::memory_order_release);
  if (i >= h_.high_water.load(std::memory_order_relaxed))
    h_.high_water.store(i + 1, std::memory_order_release);
  // Last: a reader that sees the new count must find the job when it walks.
  h_.changes.fetch_add(1, std::memory_order_release);
  return i;
}

void JobTable::set_settings(uint32_t i, std::string_view settings_json, uint32_t buffersize, uint32_t marks) {
  if (settings_json.size() > kSettingsBytes) return;
  update(i, [&](JobSlot& s) {
    s.flags = (s.flags & ~kJobCluster) | marks;
    std::memcpy(settings(i, settings_json.size()), settings_json.data(), settings_json.size());
    s.settings_len = static_cast<uint32_t>(settings_json.size());
    s.buffersize = buffersize;
  });
}

void JobTable::erase(uint32_t i) {
  if (i >= h_.capacity || !slots_[i].used) return;
  update(i, [](JobSlot& s) { s.used = 0; });
  // Linear probing cannot simply blank an entry; the index is small, so it
  // is rebuilt whole.
  seq_write(h_.index_seq, [&] { rebuild_index(); });
  h_.job_count.fetch_sub(1, std::memory_order_release);
  uint32_t hw = h_.high_water.load(std::memory_order_relaxed);
  while (hw > 0 && !slots_[hw - 1].used) --hw;
  h_.high_water.store(hw, std::memory_order_release);
  h_.changes.fetch_add(1, std::memory_order_release);
}

void JobTable::rebuild() {
  uint32_t count = 0, hw = 0;
  const uint32_t end = slots_to_scan(h_);
  for (uint32_t i = 0; i < end; ++i)
    if (slots_[i].used) {
      ++count;
      hw = i + 1;
    }
  h_.high_water.store(hw, std::memory_order_release);
  h_.job_count.store(count, std::memory_order_release);
  seq_write(h_.index_seq, [&] { rebuild_index(); });
  h_.changes.fetch_add(1, std::memory_order_release);
}

std::optional<uint32_t> JobTable::put(std::string_view name, std::string_view settings_json, uint32_t buffersize,
                                      uint32_t marks) {
  LockGuard guard(h_.table_lock);
  if (auto i = find(name)) {
    if (settings_json.size() > kSettingsBytes) return std::nullopt;
    set_settings(*i, settings_json, buffersize, marks);
    return i;
  }
  return insert(name, settings_json, buffersize, marks);
}

void JobTable::remove(std::string_view name) {
  LockGuard guard(h_.table_lock);
  if (auto i = find(name)) erase(*i);
}

void JobTable::repair(const std::function<bool(std::string_view name)>& keep) {
  LockGuard guard(h_.table_lock);
  rebuild();
  const uint32_t end = h_.high_water.load(std::memory_order_relaxed);  // exact after rebuild()
  for (uint32_t i = 0; i < end; ++i)
    if (slots_[i].used && !keep(slot_name(slots_[i]))) erase(i);
}

void JobTable::mark_started(uint32_t i, int32_t pid, uint64_t ticks, int64_t at, uint64_t first_line,
                            StartReason reason) {
  LockGuard guard(h_.table_lock);
  update(i, [&](JobSlot& s) {
    s.starts[static_cast<size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
    s.start_reason = static_cast<uint8_t>(reason);
    s.state = static_cast<uint8_t>(JobState::kUp);
    s.pid = pid;
    s.started_at = at;
    s.start_ticks = ticks;
    s.flags &= ~kJobStopRequested;
    s.next_retry_at = 0;
    s.logged[0].store(first_line);
    s.logged[1].store(first_line);
    for (auto& intent : s.log_intent) intent.first.store(kNoLogIntent);
  });
}

void JobTable::mark_adopted(uint32_t i, int32_t pid, uint64_t ticks, int64_t at) {
  LockGuard guard(h_.table_lock);
  update(i, [&](JobSlot& s) {
    if (s.pid == pid && s.state == static_cast<uint8_t>(JobState::kUp)) return;
    s.state = static_cast<uint8_t>(JobState::kUp);
    s.pid = pid;
    s.start_ticks = ticks;
    s.started_at = at;
  });
}

void JobTable::mark_stopping(uint32_t i) {
  LockGuard guard(h_.table_lock);
  update(i, [](JobSlot& s) {
    s.state = static_cast<uint8_t>(JobState::kStopping);
    s.flags |= kJobStopRequested;
  });
}

void JobTable::mark_down(uint32_t i) {
  LockGuard guard(h_.table_lock);
  update(i, [](JobSlot& s) {
    s.state = static_cast<uint8_t>(JobState::kDown);
    s.pid = 0;
  });
}

void JobTable::record_exit(uint32_t i, int status, int64_t at) {
  LockGuard guard(h_.table_lock);
  update(i, [&](JobSlot& s) { write_exit(s, status, at); });
}

bool JobTable::record_exit_of(uint32_t i, int32_t pid, int status, int64_t at) {
  LockGuard guard(h_.table_lock);
  if (i >= h_.capacity || !slots_[i].used || slots_[i].pid != pid) return false;
  update(i, [&](JobSlot& s) { write_exit(s, status, at); });
  return true;
}

void JobTable::count_restart(uint32_t i) {
  LockGuard guard(h_.table_lock);
  update(i, [](JobSlot& s) { ++s.restarts; });
}

void JobTable::count_restart(std::string_view name) {
  update(name, [](JobSlot& s) { ++s.restarts; });
}

void JobTable::mark_stop_requested(std::string_view name) {
  update(name, [](JobSlot& s) { s.flags |= kJobStopRequested; });
}

void JobTable::set_next_retry(std::string_view name, int64_t at) {
  update(name, [at](JobSlot& s) { s.next_retry_at = at; });
}

uint32_t JobTable::repair_seqs() {
  uint32_t fixed = seq_repair(h_.index_seq) ? 1 : 0;
  const uint32_t end = slots_to_scan(h_);
  for (uint32_t i = 0; i < end; ++i)
    if (seq_repair(slots_[i].seq)) ++fixed;
  return fixed;
}

void JobTable::index_put(uint32_t slot_index) {
  const uint32_t mask = h_.index_entries - 1;
  uint32_t i = name_hash(slot_name(slots_[slot_index])) & mask;
  while (index_[i] != 0) i = (i + 1) & mask;
  index_[i] = int32_t(slot_index + 1);
}

void JobTable::rebuild_index() {
  std::memset(index_, 0, sizeof(int32_t) * h_.index_entries);
  uint32_t end = h_.high_water.load(std::memory_order_relaxed);
  for (uint32_t i = 0; i < end; ++i)
    if (slots_[i].used) index_put(i);
}

}  // namespace backend::shm
