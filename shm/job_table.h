// The job table: fixed slots, a name index, per-slot settings. Any process
// reads it without locks; only the holder of the table lock writes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shm/layout.h"

namespace backend::shm {

// A consistent copy of one slot (settings aside).
struct JobInfo {
  uint32_t slot = 0;
  std::string name;
  JobState state = JobState::kDown;
  int32_t pid = 0;
  int64_t started_at = 0;
  uint64_t start_ticks = 0;
  int64_t last_exit_at = 0;
  int32_t last_exit_code = -1;
  int32_t last_exit_signal = 0;
  uint32_t restarts = 0;
  uint32_t flags = 0;
  uint32_t buffersize = 0;
  int64_t next_retry_at = 0;

  // Its process runs (STATUS says UP).
  bool up() const { return pid > 0 && state != JobState::kDown; }
};

class JobTable {
 public:
  JobTable(Header& header, char* base);

  uint32_t capacity() const { return h_.capacity; }
  uint32_t count() const { return h_.job_count.load(std::memory_order_acquire); }
  uint64_t changes() const { return h_.changes.load(std::memory_order_acquire); }

  // --- readers, any process
  std::optional<uint32_t> find(std::string_view name) const;
  // False when the slot is unused or stayed mid-write too long.
  bool read(uint32_t slot, JobInfo& out, std::string* settings = nullptr) const;
  bool read(std::string_view name, JobInfo& out, std::string* settings = nullptr) const;
  // Calls f(const JobInfo&, const std::string& settings) for every job, in
  // slot order; settings stay empty unless asked for.
  template <class F>
  void for_each(F&& f, bool with_settings = false) const;

  // --- writers, holding header().table_lock
  // Takes the lowest free slot for a new job, or nullopt when the table is full.
  std::optional<uint32_t> insert(std::string_view name, std::string_view settings_json,
                                 uint32_t buffersize);
  void set_settings(uint32_t slot, std::string_view settings_json, uint32_t buffersize);
  void erase(uint32_t slot);
  // Rebuilds the index, count and high-water mark from the slots, for a
  // writer that takes over from one that died mid-write.
  void repair();
  // Makes every seq left odd by a dead writer even again (master only).
  uint32_t repair_seqs();
  // Marks the job down with its exit: a wait(2) status, or -1 when unknown.
  void record_exit(uint32_t slot, int status, int64_t at);
  // Runs f(JobSlot&) as one seqlocked write.
  template <class F>
  void update(uint32_t slot, F&& f);

 private:
  JobSlot& slot(uint32_t i) const { return slots_[i]; }
  char* settings(uint32_t i) const { return settings_[i].json; }
  void rebuild_index();
  void index_put(uint32_t slot_index);

  Header& h_;
  JobSlot* slots_;
  SettingsArea* settings_;
  int32_t* index_;  // slot + 1, 0 = empty; linear probing
};

}  // namespace backend::shm

#include "shm/job_table_inl.h"
