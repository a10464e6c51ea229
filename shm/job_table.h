// The job table: fixed slots, a name index, per-slot settings. Any process
// reads it without locks; only the holder of the table lock writes it.
#pragma once

#include <cstdint>
#include <atomic>
#include <functional>
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
  uint64_t starts[kStartReasons] = {};
  uint64_t output_lines[2] = {};
  StartReason start_reason = StartReason::kManual;

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

  // --- writers: each takes the table lock itself, so that no caller
  // holds it by hand or computes a slot's address (the lock survives a
  // holder killed while holding it: shm/lock.h). The workers' writer is the
  // supervisor; the master records the exits it reaps while none runs.
  //
  // Adds the job, or replaces its settings; the slot, or nullopt when the
  // table is full or the name or settings do not fit. marks: the flags the
  // settings imply (kJobCluster), replacing the old ones.
  std::optional<uint32_t> put(std::string_view name, std::string_view settings_json, uint32_t buffersize,
                              uint32_t marks = 0);
  // Removes the job, if there is one.
  void remove(std::string_view name);
  // For a writer that takes over from one that died mid-write: rebuilds the
  // index, count and high-water mark from the slots, then removes every
  // job `keep` refuses.
  void repair(const std::function<bool(std::string_view name)>& keep);
  // Makes every seq left odd by a dead writer even again (master only,
  // once the writer is reaped: no lock is taken).
  uint32_t repair_seqs();

  // A run began, for `reason`: up as pid (started at `ticks` since boot,
  // `at` in Unix seconds), no STOP asked, no retry waiting; its log starts
  // at the ring's `first_line`.
  void mark_started(uint32_t slot, int32_t pid, uint64_t ticks, int64_t at, uint64_t first_line,
                    StartReason reason);
  // A run adopted from a dead supervisor, which may have died before it
  // recorded the run: up as pid, unless the slot says so already.
  void mark_adopted(uint32_t slot, int32_t pid, uint64_t ticks, int64_t at);
  // STOP was asked: stopping, and the guarder must not start it again.
  void mark_stopping(uint32_t slot);
  // No process runs, and no exit is known.
  void mark_down(uint32_t slot);
  // Down with its exit: a wait(2) status, or -1 when unknown.
  void record_exit(uint32_t slot, int status, int64_t at);
  // The same, only while the slot still shows `pid`; false otherwise.
  bool record_exit_of(uint32_t slot, int32_t pid, int status, int64_t at);
  void count_restart(uint32_t slot);
  // The guarder's marks, by name (nothing when there is no such job).
  void count_restart(std::string_view name);
  void mark_stop_requested(std::string_view name);
  void set_next_retry(std::string_view name, int64_t at);

  // Per stream (stdout, stderr), the first ring line not yet in the job's
  // log file: atomics, advanced by the log writer without the lock.
  std::atomic<uint64_t>* log_progress(uint32_t slot) const { return slots_[slot].logged; }
  LogIntent* log_intent(uint32_t slot) const { return slots_[slot].log_intent; }
  // Lines the job wrote to a stream (1: stderr), counted as they come.
  void count_output(uint32_t slot, int stream, uint64_t lines) const {
    slots_[slot].output_lines[stream].fetch_add(lines, std::memory_order_relaxed);
  }

  // Runs f(JobSlot&) as one write under the lock; for what the marks above
  // do not say (tests set up odd slots with it).
  template <class F>
  void edit(uint32_t slot, F&& f);

 private:
  // The writers proper, for a caller that holds the lock.
  std::optional<uint32_t> insert(std::string_view name, std::string_view settings_json, uint32_t buffersize,
                                 uint32_t marks);
  void set_settings(uint32_t slot, std::string_view settings_json, uint32_t buffersize, uint32_t marks);
  void erase(uint32_t slot);
  void rebuild();
  template <class F>
  void update(uint32_t slot, F&& f);
  template <class F>
  void update(std::string_view name, F&& f);

  // Where slot i keeps settings of len bytes.
  char* settings(uint32_t i, size_t len) const {
    return len <= kSettingsInlineBytes ? settings_[i].json : overflow_[i].json;
  }
  void rebuild_index();
  void index_put(uint32_t slot_index);

  Header& h_;
  JobSlot* slots_;
  SettingsArea* settings_;
  SettingsOverflow* overflow_;
  int32_t* index_;  // slot + 1, 0 = empty; linear probing
};

}  // namespace backend::shm

#include "shm/job_table_inl.h"
