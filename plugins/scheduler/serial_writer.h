// File writes off the loop, one at a time in the order asked: each runs on
// libuv's thread pool, and the next starts only when the last is done, so an
// older state of a file never lands after a newer one.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <uv.h>

namespace backend::plugins::scheduler {

class SerialWriter {
 public:
  // error: nullopt when the file is written (or removed).
  using Done = std::function<void(std::optional<std::string> error)>;

  explicit SerialWriter(uv_loop_t* loop);
  // Writes still queued are carried out; their Done is no longer called.
  ~SerialWriter();
  SerialWriter(const SerialWriter&) = delete;
  SerialWriter& operator=(const SerialWriter&) = delete;

  // Replaces path atomically with content.
  void write(std::string path, std::string content, Done done);
  // Removes path; a file already gone is no error.
  void remove(std::string path, Done done);

 private:
  struct Job {
    std::string path;
    std::optional<std::string> content;  // nullopt: remove
    Done done;
  };
  struct Queue {
    uv_loop_t* loop;
    std::deque<Job> jobs;
    bool busy = false;
    bool owner_gone = false;
  };

  static void run_next(const std::shared_ptr<Queue>& q);
  void push(Job job);

  std::shared_ptr<Queue> q_;
};

}  // namespace backend::plugins::scheduler
