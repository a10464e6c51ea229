// One run of a job: the process the supervisor started or adopted, the
// pipes its output comes through, its timers and what waits for it. The
// run lifecycle (jobs.h), the output pump (output_pump.h) and the takeover
// (takeover.h) each keep their part of it here; Runs finds them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <uv.h>

#include "protocol/response.h"
#include "worker/supervisor/job_command.h"

namespace backend::worker {

struct OutputStream;  // output_pump.cpp

struct Run {
  using Reply = std::function<void(protocol::Code code, const std::string& error)>;

  std::string name;
  uint32_t slot = 0;
  pid_t pid = 0;
  RunSettings settings;

  // The output pump's: stdout and stderr while their pipes are read, null
  // once closed.
  OutputStream* out = nullptr;
  OutputStream* err = nullptr;
  // Where its log lines go this hour, and per stream (stdout, stderr) the
  // number after its last line handed to the log writer (0 before any).
  std::string log_hour;
  std::string log_path[2];
  uint64_t appended[2] = {0, 0};

  // The lifecycle's: SIGKILL for what is left of the group after a STOP
  // or an exit, and the STOP replies and commands that wait for the exit.
  uv_timer_t* kill_timer = nullptr;
  std::vector<Reply> stop_waiters;
  // A vector, not a deque: an empty std::deque allocates about 600 bytes,
  // for every run, and almost no run ever queues anything.
  std::vector<std::function<void()>> queued;

  // The takeover's (takeover.cpp): how the exit of a run nobody reaps for
  // us is seen, through a pidfd or a deadline.
  struct ExitWatch;
  ExitWatch* exit_deadline = nullptr;
  ExitWatch* exit_watch = nullptr;

  bool exited = false;
  bool stopping = false;
  bool released = false;  // the master was told it may close its copies
  bool foreign = false;   // its pid belongs to another process now: never signal it

  bool reading() const { return out || err; }
};

// The runs of every job by name (the last run of each, exited or not) and
// the live ones by pid.
class Runs {
 public:
  Run* current(const std::string& name) const;
  bool running(const std::string& name) const;
  // The run whose exit, by pid, is still to come (waitpid or the master's
  // news); nullptr otherwise.
  Run* watched(pid_t pid) const;
  void watch(Run& run) { by_pid_[run.pid] = &run; }
  // Its exit is no longer to come by its pid.
  void unwatch(const Run& run);
  // Puts a run in place of the job's last, which is handed back (null when
  // none) for the caller to retire.
  std::unique_ptr<Run> put(std::unique_ptr<Run> run);
  std::unique_ptr<Run> take(const std::string& name);
  std::vector<Run*> all() const;
  bool all_exited() const;

 private:
  std::unordered_map<std::string, std::unique_ptr<Run>> by_name_;
  std::unordered_map<pid_t, Run*> by_pid_;
};

}  // namespace backend::worker
