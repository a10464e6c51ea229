#include "shm/run_history.h"

#include <algorithm>

#include "shm/seqlock.h"

namespace backend::shm {

RunHistory::RunHistory(Header& header, char* base)
    : h_(header),
      areas_(reinterpret_cast<HistoryArea*>(base + header.history_offset)),
      slots_(reinterpret_cast<const JobSlot*>(base + header.slots_offset)) {}

// A run is appended when it ends, so a slot whose job never started holds
// none. Its area is then neither written nor read: a page of shared memory
// is allocated by the first access of any kind (tmpfs maps no zero page),
// and a HistoryArea is ten pages, one of them touched by a count; with
// 10,000 jobs that was 40 MiB for jobs that never ran.
bool RunHistory::ever_started(uint32_t slot) const { return slots_[slot].started_at != 0; }

void RunHistory::append(uint32_t slot, const RunRecord& run) {
  if (slot >= h_.capacity) return;
  HistoryArea& a = area(slot);
  seq_write(a.seq, [&] {
    a.runs[a.count % kRunsKept] = run;
    ++a.count;
  });
}

void RunHistory::clear(uint32_t slot) {
  // Before the new job's insert resets started_at: what the slot's last
  // job left is cleared, a slot no job ever ran in is left untouched.
  if (slot >= h_.capacity || !ever_started(slot)) return;
  HistoryArea& a = area(slot);
  seq_write(a.seq, [&] { a.count = 0; });
}

std::vector<RunRecord> RunHistory::read(uint32_t slot) const {
  std::vector<RunRecord> out;
  if (slot >= h_.capacity || !ever_started(slot)) return out;
  const HistoryArea& a = area(slot);
  bool ok = seq_read(a.seq, [&] {
    out.clear();
    uint64_t count = a.count;
    for (uint64_t n = count; n > 0 && count - n < kRunsKept; --n) out.push_back(a.runs[(n - 1) % kRunsKept]);
  });
  if (!ok) out.clear();
  for (RunRecord& r : out) r.tail_len = std::min<uint32_t>(r.tail_len, kTailBytes);  // a torn copy never overreads
  return out;
}

uint32_t RunHistory::repair_seqs() {
  // Writers touch only slots that ran.
  uint32_t fixed = 0;
  const uint32_t end = slots_to_scan(h_);
  for (uint32_t i = 0; i < end; ++i)
    if (ever_started(i) && seq_repair(areas_[i].seq)) ++fixed;
  return fixed;
}

std::vector<std::string_view> RunHistory::tail_lines(const RunRecord& run) {
  std::vector<std::string_view> lines;
  std::string_view tail(run.tail, std::min<size_t>(run.tail_len, kTailBytes));
  while (!tail.empty()) {
    size_t nl = tail.find('\n');
    lines.push_back(tail.substr(0, nl));
    if (nl == std::string_view::npos) break;
    tail.remove_prefix(nl + 1);
  }
  return lines;
}

}  // namespace backend::shm
