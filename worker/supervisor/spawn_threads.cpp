#include "worker/supervisor/spawn_threads.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <system_error>
#include <utility>

#include "worker/common/log.h"

namespace backend::worker {

SpawnThreads::SpawnThreads(uv_loop_t* loop) : async_(new uv_async_t) {
  uv_async_init(loop, async_, [](uv_async_t* a) { static_cast<SpawnThreads*>(a->data)->deliver(); });
  async_->data = this;
}

// At the first spawn: a server that runs no job has no use for them, and
// its memory stays what it was without them. False if not one could be
// had (the process is at its limit of threads).
bool SpawnThreads::start_threads() {
  // Every signal blocked from birth, so that the loop's thread takes them
  // all (SIGCHLD above all) as it did before these threads were there.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    for (int lane = 1; lane < kSpawnLanes; ++lane) threads_.emplace_back([this, lane] { work(lane); });
  } catch (const std::system_error& e) {
    spdlog::warn("supervisor: {} spawning thread(s) of {}: {}", threads_.size(), kSpawnLanes - 1, e.what());
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return !threads_.empty();
}

SpawnThreads::~SpawnThreads() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
  close();
  for (auto& t : asked_) close_fds(t);
  for (auto& t : answered_) close_fds(t);
}

void SpawnThreads::close() {
  uv_async_t* handle;
  {
    std::lock_guard lock(mutex_);
    handle = std::exchange(async_, nullptr);
  }
  if (handle)
    uv_close(reinterpret_cast<uv_handle_t*>(handle), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

void SpawnThreads::spawn(SpawnSpec spec, JobPipes pipes, Done done) {
  if (threads_.empty() && !start_threads()) {
    // Spawned here and now, as before there were threads: slower, not
    // wrong.
    Spawned spawned;
    auto error = spawn_job(spec, pipes, spawned);
    return done(error, spawned);
  }
  ++in_flight_;
  {
    std::lock_guard lock(mutex_);
    asked_.push_back(Task{std::move(spec), pipes, std::nullopt, {}, std::move(done)});
  }
  wake_.notify_one();
}

void SpawnThreads::work(int lane) {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return quit_ || !asked_.empty(); });
    if (quit_) return;
    Task t = std::move(asked_.front());
    asked_.pop_front();
    lock.unlock();
    t.error = spawn_job(t.spec, t.pipes, t.spawned, lane);
    lock.lock();
    answered_.push_back(std::move(t));
    // Under the lock: close() takes it before the handle goes.
    if (async_) uv_async_send(async_);
  }
}

void SpawnThreads::deliver() {
  std::deque<Task> done;
  {
    std::lock_guard lock(mutex_);
    done.swap(answered_);
  }
  for (auto& t : done) {
    --in_flight_;
    t.done(t.error, t.spawned);
  }
}

// What a spawn left open that nobody will take now.
void SpawnThreads::close_fds(Task& t) {
  close_job_pipes(t.pipes);
  for (int fd : {t.spawned.out_fd, t.spawned.err_fd})
    if (fd >= 0) ::close(fd);
}

}  // namespace backend::worker
