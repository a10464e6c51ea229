// The server log's file and stderr output, written by a thread of its own:
// a line is formatted where it is logged and queued, so a slow disk or a
// terminal nobody reads never holds up a loop (a restart waits on no log
// line). What the writer cannot keep up with beyond a bound is dropped and
// counted, and the count is logged once it catches up.
#pragma once

#include <pthread.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>

#include "worker/common/log.h"

namespace backend::worker {

class BackgroundLogSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  static constexpr size_t kMaxQueuedBytes = 4 << 20;

  // Lines go to hourly files under dir (dir/YYYYMMDD/YYYYMMDDHH.log) and,
  // while copy_fd >= 0, to copy_fd as well (stderr in the foreground).
  BackgroundLogSink(std::string dir, int copy_fd, size_t max_queued = kMaxQueuedBytes);
  // The writer thread and what it holds are left to the process's end: a
  // line logged while the process exits must not find them gone.
  ~BackgroundLogSink() override = default;

  // Closes the file so that the next line opens it anew (logrotate).
  void reopen();
  // From now on nothing goes to copy_fd.
  void drop_copy();
  // From now on lines go to fd as relay records (worker/log_relay.h), not
  // to files: for the listener, whose master writes them.
  void forward_to(int fd);
  // Queues a line formatted elsewhere (a relayed one) for the hour's file;
  // it is not copied to copy_fd, where its own process wrote it.
  void append_formatted(std::string hour, std::string text);
  // Writes what is queued and ends the writer thread (the next line starts
  // it again): a fork must find no other thread that could hold a lock the
  // child needs, malloc's above all.
  void before_fork();
  // From now on a line logged on this thread queues without waking the
  // writer, until wake_writer(): a loop calls it once per turn, before it
  // sleeps, so that the work of a turn (a job's crash and its restart) is
  // not shared with the writer's wake-ups on a machine of two CPUs. Lines
  // of other threads still wake it at once.
  void defer_wakes_on_this_thread();
  void wake_writer();
  // Lines dropped because the writer fell behind, since the start.
  uint64_t dropped();

  struct State;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  // Waits until every line queued so far is written (before an exit).
  void flush_() override;

 private:
  State& state();
  bool deferred_here() const;

  std::string dir_;
  int copy_fd_;
  int forward_fd_ = -1;
  size_t max_queued_;
  State* state_ = nullptr;
  std::atomic<pthread_t> deferring_thread_{};
  std::atomic<bool> deferring_{false};
  // Lines queued and not yet woken for: the writer's wait is a
  // condition's, so this is under the State's mutex.
  bool wake_pending_ = false;
};

}  // namespace backend::worker
