// The master's copies of each job's pipes, lent by the supervisor at spawn,
// so that a supervisor crash closes no pipe: jobs keep running without
// SIGPIPE, and the next supervisor takes the pipes back and reads on. The
// pipes come before the job does (PREPARE, by slot), and the pid after it
// runs (HOLD): a job whose supervisor died in between is found by its pipes
// when the next supervisor asks (TAKE).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "master/orphaned_jobs.h"
#include "master/upgrade_state.h"
#include "worker/ipc/control.h"

namespace backend::master {

class HeldJobs {
 public:
  struct Entry {
    uint32_t slot = 0;
    uint64_t ticks = 0;
    std::vector<int> fds;
    bool exited = false;
    int status = 0;
    std::string orphan;  // the job's name, for one a crashed server left
  };

  HeldJobs() = default;
  ~HeldJobs();
  HeldJobs(const HeldJobs&) = delete;
  HeldJobs& operator=(const HeldJobs&) = delete;

  // A message from the supervisor; replies are appended to `out`. Takes
  // ownership of the fds it keeps (and sets them to -1 in `fds`).
  void on_message(const worker::ControlMessage& message, std::vector<int>& fds,
                  std::deque<worker::Control::Outgoing>& out);
  // An orphan the master reaped: the entry when it was a held job.
  const Entry* reaped(pid_t pid, int status);
  // A job a crashed server left (see orphaned_jobs.h): handed to every
  // supervisor that asks, by name (the new table has other slots), until
  // one RELEASEs it. It has no pipes: its output died with that server.
  void add_orphan(const OrphanedJob& job);
  size_t size() const { return held_.size(); }
  // An upgrade in place, once the supervisor is gone: every held job, with
  // its fds, which the caller now owns (the exec keeps them open). Pipes of
  // a job being started are found by their writer first, as a crash's are.
  std::vector<UpgradeState::Held> hand_over();
  // The new master: the jobs the old one held, fds and all.
  void take_over(std::vector<UpgradeState::Held> held);
  // A TAKE waits while lent pipes have no job yet; the master calls
  // retry_take every few milliseconds meanwhile.
  static constexpr int64_t kPreparedGraceMs = 500;
  static constexpr int kRetryMs = 2;
  bool take_waiting() const { return take_to_ != 0; }
  void retry_take(std::deque<worker::Control::Outgoing>& out);

 private:
  void on(const worker::Prepare& m, std::vector<int>& fds);
  void on(const worker::Hold& m, std::vector<int>& fds);
  void on(const worker::Take& m, std::deque<worker::Control::Outgoing>& out);
  void release(pid_t pid);
  void unprepare(uint32_t slot);
  void drop_prepared();
  void find_prepared();
  std::map<pid_t, Entry> held_;
  std::map<uint32_t, std::vector<int>> prepared_;  // by slot: pipes of a job being spawned
  pid_t take_to_ = 0;  // the supervisor whose Take waits
  int64_t take_deadline_ms_ = 0;
};

}  // namespace backend::master
