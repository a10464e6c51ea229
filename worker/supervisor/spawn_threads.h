// Spawning jobs off the supervisor's loop. A spawn returns only once the
// program runs (job_spawn.h): whoever calls it waits the exec through, and
// a loop that did would do nothing else meanwhile. Here threads of the
// supervisor's own wait instead, one per spare spawn lane, each spawn
// beside the others, while the loop prepares the next START (settings,
// pipes, stage, the master's copies). What they made comes back to the
// loop through a uv_async, as the spawns end.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <uv.h>

#include "worker/supervisor/job_spawn.h"

namespace backend::worker {

class SpawnThreads {
 public:
  // Called on the loop: the error sentence, or the process that runs.
  using Done = std::function<void(const std::optional<std::string>& error, const Spawned& spawned)>;

  explicit SpawnThreads(uv_loop_t* loop);
  // Waits for the spawns under way; what is not begun or not delivered is
  // dropped, its fds closed.
  ~SpawnThreads();
  SpawnThreads(const SpawnThreads&) = delete;
  SpawnThreads& operator=(const SpawnThreads&) = delete;

  // Takes the pipes as spawn_job does. `done` is called on a later turn
  // of the loop; at once, if no thread could be started.
  void spawn(SpawnSpec spec, JobPipes pipes, Done done);
  // Asked and not yet answered.
  size_t in_flight() const { return in_flight_; }
  // Closes the loop's handle (the loop is ending): nothing is delivered
  // after that.
  void close();

 private:
  struct Task {
    SpawnSpec spec;
    JobPipes pipes;
    std::optional<std::string> error;
    Spawned spawned;
    Done done;
  };
  bool start_threads();
  void work(int lane);
  void deliver();
  static void close_fds(Task& t);

  uv_async_t* async_;         // under mutex_ once threads run
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> asked_;     // under mutex_
  std::deque<Task> answered_;  // under mutex_
  bool quit_ = false;          // under mutex_
  size_t in_flight_ = 0;       // the loop's
  std::vector<std::thread> threads_;
};

}  // namespace backend::worker
