// The run lifecycle, owned by the supervisor: START, STOP and RESTART of
// a job's process, its exit and what follows (the exit line, the slot, the
// group's remains, whatever waited for it). Its output is the pump's
// (output_pump.h); runs a dead supervisor left are the takeover's
// (takeover.h).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <uv.h>

#include "protocol/response.h"
#include "shm/segment.h"
#include "worker/supervisor/output_pump.h"
#include "worker/supervisor/run.h"
#include "worker/supervisor/spawn_threads.h"
#include "worker/supervisor/takeover.h"

namespace backend::worker {

class Jobs {
 public:
  using Reply = Run::Reply;

  Jobs(uv_loop_t* loop, const shm::Segment& segment, std::string log_dir,
       std::map<std::string, std::string> interpreters);
  ~Jobs();

  // Answered once the program runs (or with the reason it cannot).
  void start(const std::string& name, const std::string& settings_json, Reply reply,
             shm::StartReason why = shm::StartReason::kManual);
  // Answered once the process is reaped.
  void stop(const std::string& name, Reply reply);
  void restart(const std::string& name, const std::string& settings_json, Reply reply);
  // A job being spawned counts: it runs, or is answered as failed, soon.
  bool running(const std::string& name) const { return runs_.running(name) || spawning_.count(name); }
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

  Takeover& takeover() { return takeover_; }
  static constexpr uint64_t kExitDeadlineMs = Takeover::kExitDeadlineMs;

 private:
  // A start whose spawn is under way: what the run is made of once the
  // process runs.
  struct Pending;
  void spawn(const std::string& name, uint32_t slot, const std::string& settings_json, Reply reply,
             shm::StartReason why);
  void spawned(Pending& p, const std::optional<std::string>& error, const Spawned& spawned);
  // Runs `then` once the job's spawn is answered; false if none is under way.
  bool after_spawn(const std::string& name, std::function<void()> then);
  void keep_history(const Run& run, int status, int64_t now);
  void exited(Run& run, int status);
  void kill_group_later(Run& run, uint32_t seconds);
  void retire(std::unique_ptr<Run> run);
  void close_run_handles(Run& run);
  void maybe_all_stopped();

  uv_loop_t* loop_;
  const shm::Segment& seg_;
  std::map<std::string, std::string> interpreters_;
  Runs runs_;
  OutputPump pump_;
  Takeover takeover_;
  std::function<void()> all_stopped_;
  OnExit on_exit_;
  // By job: what waits for its spawn to be answered (a STOP, another START).
  std::unordered_map<std::string, std::vector<std::function<void()>>> spawning_;
  // Exits reaped while a spawn was under way, of pids not known yet: a
  // program that ends at once may be reaped before its spawn is answered.
  std::unordered_map<pid_t, int> early_exits_;
  // A stage and pipes made ahead for the next spawn, once the last one
  // has cloned: a restart after a crash finds them ready, three system
  // calls fewer between the exit and the clone. Made with the Jobs too,
  // so that the supervisor holds the same fds before its first job and
  // after its last.
  int spare_stage_ = -1;
  JobPipes spare_pipes_;
  void make_spare();
  void drop_spare();
  // Last, so that it is gone (its thread joined) before what its answers
  // reach.
  SpawnThreads spawner_;
};

}  // namespace backend::worker
