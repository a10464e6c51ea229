#include "plugins/scheduler/serial_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "worker/common/pool.h"
#include "worker/common/atomic_file.h"

namespace backend::plugins::scheduler {
namespace {

std::optional<std::string> remove_file(const std::string& path) {
  if (unlink(path.c_str()) == 0 || errno == ENOENT) return std::nullopt;
  return "cannot remove " + path + ": " + std::strerror(errno);
}

}  // namespace

SerialWriter::SerialWriter(uv_loop_t* loop) : q_(std::make_shared<Queue>()) { q_->loop = loop; }

SerialWriter::~SerialWriter() { q_->owner_gone = true; }

void SerialWriter::write(std::string path, std::string content, Done done) {
  push({std::move(path), std::move(content), std::move(done)});
}

void SerialWriter::remove(std::string path, Done done) { push({std::move(path), std::nullopt, std::move(done)}); }

void SerialWriter::push(Job job) {
  q_->jobs.push_back(std::move(job));
  if (!q_->busy) run_next(q_);
}

void SerialWriter::run_next(const std::shared_ptr<Queue>& q) {
  if (q->jobs.empty()) {
    q->busy = false;
    return;
  }
  q->busy = true;
  auto job = std::make_shared<Job>(std::move(q->jobs.front()));
  q->jobs.pop_front();
  auto error = std::make_shared<std::optional<std::string>>();
  worker::run_in_pool(
      q->loop,
      [job, error] { *error = job->content ? worker::replace_file(job->path, *job->content) : remove_file(job->path); },
      [q, job, error] {
        // Done may queue more writes; the queue is still marked busy, so
        // they wait for run_next below.
        if (!q->owner_gone && job->done) job->done(*error);
        run_next(q);
      });
}

}  // namespace backend::plugins::scheduler
