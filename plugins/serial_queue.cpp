#include "plugins/serial_queue.h"

namespace backend::plugins {

void SerialQueue::push(Job job) {
  jobs_.push_back(std::move(job));
  drain();
}

void SerialQueue::drain() {
  // A job that finishes at once would otherwise call drain() from inside
  // drain(), and a long run of them would nest as deep as the queue is long.
  if (draining_) return;
  draining_ = true;
  while (!busy_ && !jobs_.empty()) {
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    job([this] {
      busy_ = false;
      drain();
    });
  }
  draining_ = false;
}

}  // namespace backend::plugins
