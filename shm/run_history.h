// Each job's last runs (layout.h's HistoryArea): why each began, how it
// ended, and what it printed last. The supervisor appends a run when it
// exits; anyone reads without a lock (a seqlock per job).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "shm/layout.h"

namespace backend::shm {

class RunHistory {
 public:
  RunHistory(Header& header, char* base);

  // The supervisor's: one ended run, its tail cut to kTailBytes.
  void append(uint32_t slot, const RunRecord& run);
  // A new job in the slot starts with no runs (the table's insert, before
  // it resets the slot).
  void clear(uint32_t slot);
  // Newest first; empty when the slot stayed mid-write too long.
  std::vector<RunRecord> read(uint32_t slot) const;
  // Makes every seq left odd by a dead writer even again (master only).
  uint32_t repair_seqs();

  // The tail of a record: its lines, newest last.
  static std::vector<std::string_view> tail_lines(const RunRecord& run);

 private:
  HistoryArea& area(uint32_t slot) const { return areas_[slot]; }
  bool ever_started(uint32_t slot) const;
  Header& h_;
  HistoryArea* areas_;
  const JobSlot* slots_;
};

}  // namespace backend::shm
