// Runs jobs one after another, each possibly asynchronous: a job starts only
// once the one before has called its `finished`. A plugin's changes go
// through one (auth's user file, the scheduler's schedules), so that each
// starts from the state the previous one left.
#pragma once

#include <deque>
#include <functional>

namespace backend::plugins {

class SerialQueue {
 public:
  using Finished = std::function<void()>;
  using Job = std::function<void(Finished finished)>;

  void push(Job job);
  bool busy() const { return busy_; }

 private:
  void drain();

  std::deque<Job> jobs_;
  bool busy_ = false;
  bool draining_ = false;
};

}  // namespace backend::plugins
