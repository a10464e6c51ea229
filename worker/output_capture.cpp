#include "worker/output_capture.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "worker/line_splitter.h"

namespace backend::worker {

namespace {

constexpr uint64_t kPunchEvery = 4 << 20;
constexpr size_t kDefaultPipeBytes = 64 * 1024;
constexpr int kGrownPipeBytes = 1 << 20;

// Reads exactly n bytes at off onto out's end.
bool read_stage(int fd, uint64_t off, size_t n, ByteBuffer& out) {
  char* at = out.grow(n);
  while (n > 0) {
    ssize_t r = pread(fd, at, n, static_cast<off_t>(off));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      out.shrink_by(n);
      return false;
    }
    at += r;
    off += static_cast<uint64_t>(r);
    n -= static_cast<size_t>(r);
  }
  return true;
}

}  // namespace

int create_stage() { return memfd_create("job-output", MFD_CLOEXEC); }

OutputCapture::OutputCapture(int pipe_fd, int stage_fd, bool is_err, shm::Ring ring)
    : pipe_fd_(pipe_fd), stage_fd_(stage_fd), stream_(is_err ? 1 : 0), ring_(ring), punched_(kStageBase[stream_]) {}

void OutputCapture::resume() {
  uint64_t taken = ring_.taken(stream_);
  uint64_t staged = static_cast<uint64_t>(*ring_.staged(stream_));
  pending_.clear();
  if (staged > taken && !read_stage(stage_fd_, taken, staged - taken, pending_))
    spdlog::error("output stage unreadable at {}: {} bytes lost", taken, staged - taken);
  punched_ = taken - taken % kPunchEvery;
  if (punched_ < kStageBase[stream_]) punched_ = kStageBase[stream_];
}

OutputCapture::Pumped OutputCapture::pump(size_t limit, std::string_view prefix, const Emit& emit) {
  Pumped p;
  int64_t* staged = ring_.staged(stream_);
  uint64_t before = static_cast<uint64_t>(*staged);
  // The kernel moves the bytes and advances *staged in one call.
  ssize_t n = splice(pipe_fd_, nullptr, stage_fd_, reinterpret_cast<loff_t*>(staged), limit, SPLICE_F_NONBLOCK);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return p;
    spdlog::error("reading a job's output failed: {}", std::strerror(errno));
    p.end = true;
  }
  if (n == 0) p.end = true;
  if (n > 0) {
    p.bytes = static_cast<size_t>(n);
    // A job that fills the pipe gets a larger one: more per wakeup, and it
    // runs on while the supervisor works instead of waiting for room.
    if (!grown_ && p.bytes >= kDefaultPipeBytes) {
      grown_ = true;
      fcntl(pipe_fd_, F_SETPIPE_SZ, kGrownPipeBytes);  // the system's cap may refuse: then as it was
    }
    if (!read_stage(stage_fd_, before, p.bytes, pending_))
      spdlog::error("output stage unreadable at {}: {} bytes lost", before, p.bytes);
  }
  commit(p.end, prefix, emit);
  return p;
}

void OutputCapture::commit(bool at_end, std::string_view prefix, const Emit& emit) {
  lines_.clear();
  size_t used = take_lines(pending_.view(), at_end, [this](std::string_view l) { lines_.push_back(l); });
  if (at_end) used = pending_.size();  // nothing more comes: taken catches up with staged
  if (used == 0) return;
  uint64_t taken = ring_.taken(stream_) + used;
  uint64_t first = ring_.append_captured(prefix, lines_, stream_ == 1, stream_, taken);
  if (emit && !lines_.empty()) emit(first, lines_);
  lines_.clear();
  pending_.consume(used);
  punch();
}

// Frees the stage's pages below what was taken, a few MiB at a time.
void OutputCapture::punch() {
  uint64_t taken = ring_.taken(stream_);
  uint64_t upto = taken - taken % kPunchEvery;
  if (upto <= punched_) return;
  if (fallocate(stage_fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(punched_),
                static_cast<off_t>(upto - punched_)) != 0)
    spdlog::warn("freeing a job's output stage failed: {}", std::strerror(errno));
  punched_ = upto;
}

}  // namespace backend::worker
