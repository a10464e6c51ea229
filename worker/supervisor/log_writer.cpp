#include "worker/supervisor/log_writer.h"

#include "worker/common/atomic_file.h"
#include "worker/common/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace backend::worker {

struct LogWriter::Batch {
  uv_work_t req;
  LogWriter* owner;
  struct Item {
    std::string path;
    int fd;
    ByteBuffer data;
    std::atomic<uint64_t>* progress;
    shm::LogIntent* intent;
    uint64_t from;
    uint64_t upto;
    int64_t cut;
    std::string error;
  };
  std::vector<Item> items;
};

namespace {

// Before a write: what to cut the file back to should the writer die in it.
// `first` is set last, so that a record is whole whenever it is set.
void record_intent(int fd, shm::LogIntent& intent, uint64_t from) {
  struct stat st {};
  intent.first.store(shm::kNoLogIntent, std::memory_order_release);
  if (fstat(fd, &st) != 0) return;
  intent.bytes_before.store(static_cast<uint64_t>(st.st_size), std::memory_order_release);
  intent.first.store(from, std::memory_order_release);
}

}  // namespace

LogWriter::LogWriter(uv_loop_t* loop) : loop_(loop), timer_(new uv_timer_t) {
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_));  // never keeps a stopping loop alive
}

LogWriter::~LogWriter() {
  close();
  for (auto& [path, f] : files_)
    if (f.fd >= 0) ::close(f.fd);
}

void LogWriter::close() {
  if (!timer_) return;
  closing_ = true;
  timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  timer_ = nullptr;
  flush();
}

LogWriter::File& LogWriter::queue_for(const std::string& path, const LogMarks& marks) {
  File& f = files_[path];
  if (marks.progress) {
    f.progress = marks.progress;
    f.upto = marks.upto;
  }
  if (marks.intent && (f.pending.empty() || !f.intent)) {
    f.intent = marks.intent;
    f.from = marks.from;
  }
  f.last_used = uv_now(loop_);
  return f;
}

void LogWriter::queued(size_t bytes) {
  queued_ += bytes;
  if (queued_ >= kFlushBytes) flush();
  if (timer_ && (!uv_is_active(reinterpret_cast<uv_handle_t*>(timer_)) || armed_ms_ != kFlushMs)) arm(kFlushMs);
}

// The timer ticks every kFlushMs only while lines wait, then slowly while
// files are open (to close idle ones), and not at all once none are: an
// idle supervisor is not woken fifty times a second for nothing.
void LogWriter::arm(uint64_t ms) {
  armed_ms_ = ms;
  uv_timer_start(timer_, on_timer, ms, 0);
}

void LogWriter::cut_back(const std::string& path, uint64_t size) {
  File& f = queue_for(path, {});
  f.cut = static_cast<int64_t>(size);
  queued(0);
}

void LogWriter::append(const std::string& path, std::string_view data, const LogMarks& marks) {
  queue_for(path, marks).pending.append(data);
  queued(data.size());
}

void LogWriter::append_lines(const std::string& path, std::string_view prefix,
                             std::span<const std::string_view> lines, const LogMarks& marks) {
  size_t add = lines.size() * (prefix.size() + 1);
  for (std::string_view l : lines) add += l.size();
  char* at = queue_for(path, marks).pending.grow(add);
  for (std::string_view l : lines) {
    if (!prefix.empty()) std::memcpy(at, prefix.data(), prefix.size());
    at += prefix.size();
    if (!l.empty()) std::memcpy(at, l.data(), l.size());
    at += l.size();
    *at++ = '\n';
  }
  queued(add);
}

void LogWriter::on_timer(uv_timer_t* t) {
  auto* self = static_cast<LogWriter*>(t->data);
  if (!self) return;
  self->flush();
  self->close_idle_files();
  if (self->queued_ > 0) {
    self->arm(kFlushMs);
  } else {
    if (!self->in_flight_) self->release_spares();
    if (!self->files_.empty()) self->arm(kIdleCloseMs);
  }
}

// Nothing waits to be written and nothing is being written (start_batch()
// empties the queue, so a tick that just started a batch is no such time):
// buffers larger than a usual batch, left by a burst, are given back.
void LogWriter::release_spares() {
  for (auto& [path, f] : files_)
    if (f.spare.capacity() > kFlushBytes) f.spare = ByteBuffer();
}

void LogWriter::flush() {
  if (!in_flight_ && (queued_ > 0 || cuts_waiting())) start_batch();
}

bool LogWriter::cuts_waiting() const {
  for (const auto& [path, f] : files_)
    if (f.cut >= 0) return true;
  return false;
}

void LogWriter::start_batch() {
  auto* b = new Batch;
  b->req.data = b;
  b->owner = this;
  for (auto& [path, f] : files_) {
    if (f.pending.empty() && f.cut < 0) continue;
    b->items.push_back({path, f.fd, std::move(f.pending), f.progress, f.intent, f.from, f.upto, f.cut, {}});
    f.cut = -1;
    f.pending = std::move(f.spare);
  }
  // Files of one stream (an hour and the next) are written oldest lines
  // first, so that progress never claims lines of a file not yet written.
  std::stable_sort(b->items.begin(), b->items.end(),
                   [](const Batch::Item& a, const Batch::Item& c) { return a.upto < c.upto; });
  queued_ = 0;
  in_flight_ = true;
  uv_queue_work(
      loop_, &b->req,
      [](uv_work_t* r) {
        for (auto& item : static_cast<Batch*>(r->data)->items) {
          if (item.fd < 0) {
            make_dirs(item.path.substr(0, item.path.rfind('/')));
            item.fd = open(item.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
          }
          if (item.fd >= 0 && item.cut >= 0 && ftruncate(item.fd, item.cut) != 0) {
            item.error = std::strerror(errno);
            continue;
          }
          if (item.data.empty()) continue;
          if (item.fd >= 0 && item.intent) record_intent(item.fd, *item.intent, item.from);
          if (item.fd < 0 || !write_all(item.fd, item.data.view()))
            item.error = std::strerror(errno);
          else if (item.progress)
            raise_to(*item.progress, item.upto);
        }
      },
      [](uv_work_t* r, int) {
        auto* batch = static_cast<Batch*>(r->data);
        batch->owner->finish_batch(batch);
      });
}

void LogWriter::finish_batch(Batch* b) {
  std::unique_ptr<Batch> owned(b);
  in_flight_ = false;
  for (auto& item : b->items) {
    auto it = files_.find(item.path);
    if (it != files_.end() && it->second.fd < 0) it->second.fd = item.fd;
    else if (it == files_.end() && item.fd >= 0) ::close(item.fd);
    // Kept however large the batch grew (a job writing faster than the disk
    // makes batches of several MiB): were it let go, every batch would be a
    // new buffer and each of its pages a fault, which cost a fast writer's
    // supervisor a fifth of its time. release_spares() gives it back.
    if (it != files_.end() && it->second.spare.capacity() < item.data.capacity() &&
        item.data.capacity() <= kKeepBytes) {
      item.data.clear();
      it->second.spare = std::move(item.data);
    }
    report(it == files_.end() ? nullptr : &it->second, item.path, item.error);
  }
  if (queued_ > 0 && (closing_ || queued_ >= kFlushBytes)) start_batch();
  if (!full() && on_room_) on_room_();
}

// A full disk fails every write of every batch: said once per file when it
// starts, and once when the file is written again.
void LogWriter::report(File* file, const std::string& path, const std::string& error) {
  bool failed = !error.empty();
  if (file ? file->failing == failed : !failed) return;
  if (failed) spdlog::error("cannot write log file {}: {}; its lines are lost until it can", path, error);
  else spdlog::info("log file {} is written again", path);
  if (file) file->failing = failed;
}

// Files of past hours, or of jobs gone quiet, are closed after a while.
void LogWriter::close_idle_files() {
  if (in_flight_) return;
  uint64_t now = uv_now(loop_);
  for (auto it = files_.begin(); it != files_.end();) {
    if (it->second.pending.empty() && now - it->second.last_used > kIdleCloseMs) {
      if (it->second.fd >= 0) ::close(it->second.fd);
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace backend::worker
