#include "worker/supervisor/log_writer.h"

#include "worker/common/atomic_file.h"
#include "worker/common/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace backend::worker {

struct LogWriter::Batch {
  uv_work_t req;
  LogWriter* owner;
  struct Item {
    std::string path;
    int fd;
    std::vector<ByteBuffer> data;  // chunks, in order
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

// A file's first chunk grows as a buffer does, from a few bytes to
// kChunkBytes, so that a job printing a line now and then holds no more
// than its lines; past kChunkBytes, whole chunks follow, refilled ones
// first.
ByteBuffer& LogWriter::chunk_for(File& f, size_t n) {
  if (!f.pending.empty()) {
    ByteBuffer& last = f.pending.back();
    if (last.capacity() - last.size() >= n) return last;
    if (last.size() + n <= kChunkBytes) {
      last.reserve(std::min(kChunkBytes, std::max(last.size() + n, last.capacity() * 2)));
      return last;
    }
  }
  if (!spare_chunks_.empty()) {
    f.pending.push_back(std::move(spare_chunks_.back()));
    spare_chunks_.pop_back();
  } else if (f.pending.empty()) {
    f.pending.push_back(std::exchange(f.spare, ByteBuffer()));
  } else {
    f.pending.emplace_back().reserve(kChunkBytes);
    ++chunks_made_;
  }
  f.pending.back().reserve(n);  // a line longer than a chunk: this one is larger
  return f.pending.back();
}

size_t LogWriter::held_bytes() const {
  size_t held = 0;
  for (const ByteBuffer& c : spare_chunks_) held += c.capacity();
  for (const auto& [path, f] : files_) {
    held += f.spare.capacity();
    for (const ByteBuffer& c : f.pending) held += c.capacity();
  }
  return held;
}

void LogWriter::append(const std::string& path, std::string_view data, const LogMarks& marks) {
  File& f = queue_for(path, marks);
  if (!data.empty()) chunk_for(f, data.size()).append(data);
  queued(data.size());
}

void LogWriter::append_lines(const std::string& path, std::string_view prefix,
                             std::span<const std::string_view> lines, const LogMarks& marks) {
  File& f = queue_for(path, marks);
  size_t total = 0;
  for (size_t i = 0; i < lines.size();) {
    // As many lines as the chunk has room for, at least the first.
    ByteBuffer& chunk = chunk_for(f, prefix.size() + lines[i].size() + 1);
    const size_t room = chunk.capacity() - chunk.size();
    size_t add = 0, end = i;
    for (; end < lines.size() && add + prefix.size() + lines[end].size() + 1 <= room; ++end)
      add += prefix.size() + lines[end].size() + 1;
    char* at = chunk.grow(add);
    for (; i < end; ++i) {
      if (!prefix.empty()) std::memcpy(at, prefix.data(), prefix.size());
      at += prefix.size();
      if (!lines[i].empty()) std::memcpy(at, lines[i].data(), lines[i].size());
      at += lines[i].size();
      *at++ = '\n';
    }
    total += add;
  }
  queued(total);
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
// the chunks a burst left are given back.
void LogWriter::release_spares() {
  spare_chunks_.clear();
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
    f.pending.clear();
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
            item.fd = open_append_file(item.path, item.error);
            if (item.fd < 0) continue;
          }
          if (item.cut >= 0 && ftruncate(item.fd, item.cut) != 0) {
            item.error = std::strerror(errno);
            continue;
          }
          if (item.data.empty()) continue;
          if (item.intent) record_intent(item.fd, *item.intent, item.from);
          std::vector<std::string_view> pieces;
          for (const ByteBuffer& chunk : item.data) pieces.push_back(chunk.view());
          if (!write_all(item.fd, pieces))
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
    // Written chunks are filled again: were they let go, every batch would
    // be new memory and each of its pages a fault, which cost a fast
    // writer's supervisor a fifth of its time. release_spares() gives them
    // back; one grown past a chunk (a line longer than one) goes now. A
    // smaller first chunk is the file's again, as its next first chunk.
    for (ByteBuffer& chunk : item.data) {
      chunk.clear();
      if (chunk.capacity() == kChunkBytes) {
        if (spare_chunks_.size() < kSpareChunks) spare_chunks_.push_back(std::move(chunk));
      } else if (chunk.capacity() < kChunkBytes && it != files_.end() &&
                 it->second.spare.capacity() < chunk.capacity()) {
        it->second.spare = std::move(chunk);
      }
    }
    report(it == files_.end() ? nullptr : &it->second, item.path, item.error);
  }
  if (queued_ > 0 && (closing_ || queued_ >= kFlushBytes)) start_batch();
  // The last batch of a burst: one more tick, which finds the queue empty
  // and nothing in flight and gives the chunks back. Without it, a tick
  // that came while this batch was in flight had set the slow idle timer,
  // and a burst's memory stayed for kIdleCloseMs.
  else if (queued_ == 0 && timer_) arm(kFlushMs);
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
