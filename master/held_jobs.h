// The master's copies of each job's pipes, lent by the supervisor at spawn,
// so that a supervisor crash closes no pipe: jobs keep running without
// SIGPIPE, and the next supervisor takes the pipes back and reads on.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "worker/control.h"

namespace backend::master {

class HeldJobs {
 public:
  struct Entry {
    uint32_t slot = 0;
    uint64_t ticks = 0;
    std::vector<int> fds;
    bool exited = false;
    int status = 0;
  };

  HeldJobs() = default;
  ~HeldJobs();
  HeldJobs(const HeldJobs&) = delete;
  HeldJobs& operator=(const HeldJobs&) = delete;

  // A message from the supervisor; replies are appended to `out`. Takes
  // ownership of the fds it keeps (and sets them to -1 in `fds`).
  void on_message(const std::string& text, std::vector<int>& fds, std::deque<worker::Control::Outgoing>& out);
  // An orphan the master reaped: the entry when it was a held job.
  const Entry* reaped(pid_t pid, int status);
  size_t size() const { return held_.size(); }

 private:
  void release(pid_t pid);
  std::map<pid_t, Entry> held_;
};

}  // namespace backend::master
