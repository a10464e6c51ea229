// The supervisor's side of crash recovery: it lends the master each job's
// pipes (Prepare before the spawn, Hold once the job runs, Release once its
// output is read to the end), and a new supervisor takes back what a dead
// one left running (Take, then one Held per job, then Taken), with the
// output they still hold; jobs of a server killed outright come as Orphan
// (worker/ipc/messages.h). Until the handover is over, which job runs is
// not known, and START, STOP and RESTART wait.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <uv.h>

#include "shm/segment.h"
#include "worker/ipc/messages.h"
#include "worker/supervisor/output_pump.h"
#include "worker/supervisor/run.h"

namespace backend::worker {

class Takeover {
 public:
  // How a run's exit is recorded, and how a run that gives way to another
  // is retired: the lifecycle's (jobs.h).
  using Ended = std::function<void(Run& run, int status)>;
  using Retire = std::function<void(std::unique_ptr<Run> run)>;
  Takeover(uv_loop_t* loop, const shm::Segment& segment, Runs& runs, OutputPump& pump, Ended ended, Retire retire);

  // How messages reach the master. With a master, the handover must end
  // (adopt_unheld) before START, STOP and RESTART go on; without one (a
  // test's Jobs), there is nothing to wait for. A message sent kThisTurn
  // may wait until the loop's turn ends, or until the next message, which
  // it always precedes: a Release then costs the master no wake-up of its
  // own between a job's crash and its restart.
  enum class When { kNow, kThisTurn };
  using Send = std::function<void(const ControlMessage& message, const std::vector<int>& fds, When when)>;
  void set_master(Send send);
  // Until the handover is over: true when `again` was kept to run after
  // it, false when it is over and the caller goes on.
  bool wait_for_take(std::function<void()> again);

  // A spawn's pipes and stage, lent before the job exists: a supervisor
  // killed while it spawns leaves the master a job it can tell by its
  // pipes, which the next supervisor takes over with its output instead of
  // starting a second copy.
  void lend(uint32_t slot, const std::vector<int>& fds);
  void unlend(uint32_t slot);
  void hold(pid_t pid, uint32_t slot, uint64_t ticks);
  // Once the run exited and its pipes are read to the end.
  void maybe_release(Run& run, When when = When::kThisTurn);
  // The run's process was reaped (run.exited is set): the master lets go
  // of it, or, while its pipes are still being read (a process it left
  // holds them), notes the exit, so that a successor would record it
  // instead of adopting a job that runs no more.
  void exited(Run& run, int status, When when);

  // A job a dead supervisor left running (or that exited meanwhile, with
  // its status), with the pipes the master kept. Takes the fds.
  void adopt(const std::string& name, const std::string& settings_json, pid_t pid, uint32_t slot, uint64_t ticks,
             std::vector<int>& fds, bool exited, int status);
  // After the master handed back every job it held: jobs the table shows
  // running but nobody held are adopted without output if they still live
  // (same pid, same start time), else marked down. The handover is over.
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

  // Closes the run's exit watch and deadline.
  void close_handles(Run& run);

 private:
  void await_exit(Run& run);
  void watch_exit(Run& run);
  void ended_unseen(Run& run);

  uv_loop_t* loop_;
  const shm::Segment& seg_;
  Runs& runs_;
  OutputPump& pump_;
  Ended ended_;
  Retire retire_;
  Send send_;
  bool taken_ = true;
  std::vector<std::function<void()>> before_taken_;
};

}  // namespace backend::worker
