#include "worker/common/background_log_sink.h"

#include "worker/common/atomic_file.h"
#include "worker/common/log_relay.h"
#include "shm/own_pid.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <thread>
#include <utility>
#include <vector>

namespace backend::worker {
namespace {

struct Line {
  std::string hour;  // YYYYMMDDHH: the file it belongs in
  std::string text;
  bool copy = true;  // false: relayed, its own process copied it
};

// How long an exit waits for the writer: a copy fd nobody reads must not
// keep a process from ending.
constexpr auto kFlushWait = std::chrono::seconds(2);

std::string hour_of(const spdlog::details::log_msg& msg) {
  std::time_t t = std::chrono::system_clock::to_time_t(msg.time);
  std::tm tm{};
  localtime_r(&t, &tm);
  char hour[16];
  std::strftime(hour, sizeof hour, "%Y%m%d%H", &tm);
  return hour;
}

}  // namespace

// Everything the writer thread touches. It belongs to one process: a forked
// child finds the pid differs and starts over with a State of its own (the
// parent's lines are the parent's to write, and its lock may have been held
// at the fork).
struct BackgroundLogSink::State {
  State(std::string d, int copy, int forward) : pid(shm::own_pid()), dir(std::move(d)), copy_fd(copy), forward_fd(forward) {}

  const pid_t pid;
  const std::string dir;
  std::mutex mu;
  std::condition_variable wake;
  std::condition_variable drained;
  std::vector<Line> queue;
  size_t queued_bytes = 0;
  bool writing = false;
  bool reopen = false;
  int copy_fd;
  int forward_fd;
  uint64_t dropped = 0;
  uint64_t unreported = 0;
  std::thread thread;
  bool stop = false;
  bool running = false;

  // The writer's own.
  int fd = -1;
  std::string open_hour;

  void run();
  void write_batch(const std::vector<Line>& batch, int copy);
  void write_file(const std::string& hour, const std::string& text);
  bool fits(size_t bytes, size_t max_queued, uint64_t lines = 1);
  void enqueue(Line line);
};

void BackgroundLogSink::State::run() {
  std::vector<Line> batch;
  std::unique_lock lock(mu);
  for (;;) {
    wake.wait(lock, [&] { return !queue.empty() || stop; });
    if (queue.empty()) break;
    batch.swap(queue);
    queued_bytes = 0;
    writing = true;
    bool close_first = std::exchange(reopen, false);
    int copy = copy_fd;
    lock.unlock();
    if (close_first && fd >= 0) {
      close(fd);
      fd = -1;
    }
    write_batch(batch, copy);
    batch.clear();
    lock.lock();
    writing = false;
    if (queue.empty()) drained.notify_all();
  }
  running = false;
  drained.notify_all();
}

// One write(2) per file and one to the copy for the whole batch; O_APPEND
// and whole lines let the three server processes share a file untorn.
void BackgroundLogSink::State::write_batch(const std::vector<Line>& batch, int copy) {
  std::string chunk;
  std::string all;
  for (size_t i = 0; i < batch.size(); ++i) {
    chunk += batch[i].text;
    if (copy >= 0 && batch[i].copy) all += batch[i].text;
    if (i + 1 == batch.size() || batch[i + 1].hour != batch[i].hour) {
      write_file(batch[i].hour, chunk);
      chunk.clear();
    }
  }
  if (copy >= 0) write_all(copy, all);
}

void BackgroundLogSink::State::write_file(const std::string& hour, const std::string& text) {
  if (forward_fd >= 0) {
    write_all(forward_fd, relay_record(hour, text));
    return;
  }
  if (fd < 0 || open_hour != hour) {
    if (fd >= 0) close(fd);
    std::string day_dir = dir + "/" + hour.substr(0, 8);
    make_dirs(day_dir);
    std::string error;  // the server's own log has nowhere to say it
    fd = open_append_file(day_dir + "/" + hour + ".log", error);
    open_hour = hour;
  }
  if (fd >= 0) write_all(fd, text);
}

BackgroundLogSink::BackgroundLogSink(std::string dir, int copy_fd, size_t max_queued)
    : dir_(std::move(dir)), copy_fd_(copy_fd), max_queued_(max_queued) {}

BackgroundLogSink::State& BackgroundLogSink::state() {
  // A child's inherited State is left as it is: its lock may be held by a
  // thread that does not exist here.
  if (!state_ || state_->pid != shm::own_pid()) state_ = new State(dir_, copy_fd_, forward_fd_);
  State& s = *state_;
  std::lock_guard lock(s.mu);
  if (s.running) return s;
  if (s.thread.joinable()) s.thread.join();
  s.stop = false;
  s.running = true;
  // The writer takes no signal: the loops read them (signalfd, uv_signal).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  s.thread = std::thread([&s] { s.run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return s;
}

void BackgroundLogSink::before_fork() {
  std::lock_guard guard(mutex_);
  if (!state_ || state_->pid != shm::own_pid()) return;
  State& s = *state_;
  std::unique_lock lock(s.mu);
  if (!s.running) return;
  s.stop = true;
  s.wake.notify_one();
  // A writer stuck on a copy nobody reads is inside write(2), where it
  // holds no lock a child could need: the fork goes on without it.
  if (!s.drained.wait_for(lock, kFlushWait, [&] { return !s.running; })) {
    s.stop = false;
    return;
  }
  lock.unlock();
  s.thread.join();
}

void BackgroundLogSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t buf;
  formatter_->format(msg, buf);
  std::string hour = hour_of(msg);
  State& s = state();
  std::unique_lock lock(s.mu);
  if (!s.fits(buf.size(), max_queued_)) return;
  bool idle = s.queue.empty() && !s.writing;
  if (s.unreported > 0) {
    std::string note = std::to_string(s.unreported) + " lines of the server log were dropped: its writer fell behind";
    spdlog::memory_buf_t nbuf;
    formatter_->format(spdlog::details::log_msg(msg.time, {}, msg.logger_name, spdlog::level::warn, note), nbuf);
    s.enqueue({hour, std::string(nbuf.data(), nbuf.size())});
    s.unreported = 0;
  }
  s.enqueue({std::move(hour), std::string(buf.data(), buf.size())});
  if (idle && deferred_here()) {
    wake_pending_ = true;
    return;
  }
  lock.unlock();
  // A busy writer looks at the queue again before it sleeps.
  if (idle) s.wake.notify_one();
}

bool BackgroundLogSink::deferred_here() const {
  return deferring_.load(std::memory_order_relaxed) &&
         pthread_equal(deferring_thread_.load(std::memory_order_relaxed), pthread_self());
}

void BackgroundLogSink::defer_wakes_on_this_thread() {
  deferring_thread_.store(pthread_self(), std::memory_order_relaxed);
  deferring_.store(true, std::memory_order_relaxed);
}

void BackgroundLogSink::wake_writer() {
  std::lock_guard guard(mutex_);
  if (!state_ || state_->pid != shm::own_pid()) return;
  std::unique_lock lock(state_->mu);
  if (!std::exchange(wake_pending_, false)) return;
  lock.unlock();
  state_->wake.notify_one();
}

// Under mu. Lines beyond the bound are dropped and counted.
bool BackgroundLogSink::State::fits(size_t bytes, size_t max_queued, uint64_t lines) {
  if (queued_bytes + bytes <= max_queued) return true;
  dropped += lines;
  unreported += lines;
  return false;
}

// Under mu.
void BackgroundLogSink::State::enqueue(Line line) {
  queued_bytes += line.text.size();
  queue.push_back(std::move(line));
}

void BackgroundLogSink::append_formatted(std::string hour, std::string text) {
  std::lock_guard guard(mutex_);
  State& s = state();
  std::unique_lock lock(s.mu);
  // A relayed record is a batch of the listener's lines: dropped whole, it
  // counts as every line it holds.
  if (!s.fits(text.size(), max_queued_, std::max<uint64_t>(1, std::count(text.begin(), text.end(), '\n')))) return;
  bool idle = s.queue.empty() && !s.writing;
  s.enqueue({std::move(hour), std::move(text), false});
  if (idle && deferred_here()) {
    wake_pending_ = true;
    return;
  }
  lock.unlock();
  if (idle) s.wake.notify_one();
}

void BackgroundLogSink::forward_to(int fd) {
  std::lock_guard guard(mutex_);
  forward_fd_ = fd;
  if (!state_ || state_->pid != shm::own_pid()) return;
  std::lock_guard lock(state_->mu);
  state_->forward_fd = fd;
}

void BackgroundLogSink::flush_() {
  if (!state_ || state_->pid != shm::own_pid()) return;
  State& s = *state_;
  std::unique_lock lock(s.mu);
  if (std::exchange(wake_pending_, false)) s.wake.notify_one();
  s.drained.wait_for(lock, kFlushWait, [&] { return (s.queue.empty() && !s.writing) || !s.running; });
}

void BackgroundLogSink::reopen() {
  std::lock_guard guard(mutex_);
  if (!state_ || state_->pid != shm::own_pid()) return;
  std::lock_guard lock(state_->mu);
  state_->reopen = true;
}

void BackgroundLogSink::drop_copy() {
  std::lock_guard guard(mutex_);
  copy_fd_ = -1;
  if (!state_ || state_->pid != shm::own_pid()) return;
  std::lock_guard lock(state_->mu);
  state_->copy_fd = -1;
}

uint64_t BackgroundLogSink::dropped() {
  std::lock_guard guard(mutex_);
  if (!state_) return 0;
  std::lock_guard lock(state_->mu);
  return state_->dropped;
}

}  // namespace backend::worker
