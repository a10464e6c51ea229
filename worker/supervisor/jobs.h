// The running jobs, owned by the supervisor: START, STOP, RESTART, their
// output into the rings and log files, and their exits.
#pragma once

#include <sys/types.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <uv.h>

#include "protocol/response.h"
#include "shm/layout.h"
#include "shm/segment.h"
#include "worker/common/clock.h"
#include "worker/supervisor/job_command.h"
#include "worker/supervisor/log_writer.h"

namespace backend::worker {

struct Stage;

class Jobs {
 public:
  using Reply = std::function<void(protocol::Code code, const std::string& error)>;

  Jobs(uv_loop_t* loop, const shm::Segment& segment, std::string log_dir,
       std::map<std::string, std::string> interpreters);
  ~Jobs();

  // Answered once the program runs (or with the reason it cannot).
  void start(const std::string& name, const std::string& settings_json, Reply reply);
  // Answered once the process is reaped.
  void stop(const std::string& name, Reply reply);
  void restart(const std::string& name, const std::string& settings_json, Reply reply);
  bool running(const std::string& name) const;
  // Drops what is left of a deleted job's last run.
  void forget(const std::string& name);
  // Reaps every exited child (SIGCHLD).
  void reap();
  // Stops every job, then calls done.
  void stop_all(std::function<void()> done);
  // Stops reading every job's output and closes every timer (the loop is
  // ending).
  void close_handles();
  // Called after every exit the supervisor sees: requested is true when a
  // STOP (or RESTART, or the server stopping) asked for it.
  using OnExit = std::function<void(const std::string& name, bool requested, int64_t uptime_s)>;
  void set_on_exit(OnExit on_exit) { on_exit_ = std::move(on_exit); }
  void set_interpreters(std::map<std::string, std::string> interpreters) { interpreters_ = std::move(interpreters); }

  // How the supervisor lends the master each job's pipes (HOLD) and says it
  // is done with them (RELEASE).
  using TellMaster = std::function<void(std::string text, const std::vector<int>& fds)>;
  // With a master, START, STOP and RESTART wait until it has handed back
  // what a previous supervisor left running (adopt_unheld ends that): a
  // start before then could run a second copy of a job.
  void set_master(TellMaster tell) {
    tell_master_ = std::move(tell);
    taken_ = false;
  }
  // Until then, which job runs is not known: true when `again` was kept to
  // run after the handover, false when it is over and the caller goes on.
  bool wait_for_take(std::function<void()> again);
  // A job a dead supervisor left running (or that exited meanwhile, with
  // its status), with the pipes the master kept. Takes the fds.
  void adopt(const std::string& name, const std::string& settings_json, pid_t pid, uint32_t slot,
             uint64_t ticks, std::vector<int>& fds, bool exited, int status);
  // After the master handed back every job it held: jobs the table shows
  // running but nobody held are adopted without output if they still live
  // (same pid, same start time), else marked down.
  void adopt_unheld(const std::function<const std::string*(const std::string&)>& settings_of);
  // A job a server killed outright left (alive, or dead since): adopted
  // without output, which the ring says; nobody reaps it for us, so its
  // exit is seen through a pidfd, with an unknown status.
  void adopt_orphan(const std::string& name, const std::string& settings_json, pid_t pid, uint32_t slot,
                    uint64_t ticks, bool alive);
  // The master reaped an adopted job.
  void master_reaped(pid_t pid, int status);
  // How long an adopted job already gone from /proc waits for that news.
  static constexpr uint64_t kExitDeadlineMs = 2000;

 private:
  void mark_up(uint32_t slot, pid_t pid, uint64_t ticks);
  struct Run;
  void await_exit(Run& run);
  void watch_exit(Run& run);
  void ended_unseen(Run& run);
  struct Output;
  // At most this much of one job's output is moved per loop turn.
  static constexpr size_t kPumpBytes = 256 * 1024;
  // A read smaller than this pauses the pipe for kCoalesceMs (see pause()).
  static constexpr size_t kTrickleBytes = 16 * 1024;
  static constexpr uint64_t kCoalesceMs = 50;
  void pause(Output& o);
  void arm_resume_timer();
  void close_resume_timer();
  void resume_paused();

  Run* current(const std::string& name) const;
  void exited(Run& run, int status);
  void on_line(Run& run, bool is_err, std::string_view text);
  void log_lines(Run& run, bool is_err, uint64_t first, std::span<const std::string_view> lines,
                 std::string_view prefix);
  void kill_group_later(Run& run, uint32_t seconds);
  void retire(std::unique_ptr<Run> run);
  void close_run_handles(Run& run);
  void record(Run& run, const std::string& line);
  void maybe_all_stopped();
  void maybe_release(Run& run);
  void open_outputs(Run& run, int out_fd, int err_fd, const std::shared_ptr<Stage>& stage);
  void catch_up_logs(Run& run);
  std::string log_path(const std::string& name, const std::string& hour, bool is_err) const;
  shm::JobSlot& slot_of(const Run& run) const;

  uv_loop_t* loop_;
  const shm::Segment& seg_;
  std::string log_dir_;
  std::map<std::string, std::string> interpreters_;
  LogWriter logs_;
  LineClock clock_;
  std::vector<Output*> paused_;
  uv_timer_t* resume_timer_;
  std::unordered_map<std::string, std::unique_ptr<Run>> runs_;
  std::unordered_map<pid_t, Run*> by_pid_;
  std::function<void()> all_stopped_;
  TellMaster tell_master_;
  bool taken_ = true;
  std::vector<std::function<void()>> before_taken_;
  OnExit on_exit_;
};

}  // namespace backend::worker
