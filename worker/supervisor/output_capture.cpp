#include "worker/supervisor/output_capture.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "worker/supervisor/line_splitter.h"
#include "worker/common/log.h"

namespace backend::worker {

namespace {

// Taken bytes after which the stage starts over. Above the longest
// unterminated rest (kMaxLine), which must fit below what was taken.
constexpr uint64_t kRewindAt = 1 << 20;
constexpr size_t kDefaultPipeBytes = 64 * 1024;
constexpr int kGrownPipeBytes = 1 << 20;
// The mapped part of a stream's region: what is taken there stays below
// kRewindAt, the rest below kMaxLine, and a splice adds at most its limit
// (kPumpBytes, or the 1 MiB pipe). A stage found beyond it (a limit larger
// than this) is read as an unmapped one is.
constexpr size_t kMapBytes = 4 << 20;

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
    : pipe_fd_(pipe_fd), stage_fd_(stage_fd), stream_(is_err ? 1 : 0), ring_(ring) {}

OutputCapture::~OutputCapture() { unmap_stage(); }

void OutputCapture::map_stage() {
  void* m = mmap(nullptr, kMapBytes, PROT_READ, MAP_SHARED, stage_fd_, static_cast<off_t>(kStageBase[stream_]));
  if (m == MAP_FAILED) return;  // the buffer goes on doing
  map_ = static_cast<char*>(m);
  pending_ = ByteBuffer();  // its bytes, taken..staged, are in the mapping too
}

void OutputCapture::unmap_stage() {
  if (map_) munmap(map_, kMapBytes);
  map_ = nullptr;
}

std::string_view OutputCapture::untaken() {
  if (!map_) return pending_.view();
  const uint64_t base = kStageBase[stream_];
  const uint64_t taken = ring_.taken(stream_);
  return {map_ + (taken - base), static_cast<size_t>(static_cast<uint64_t>(*ring_.staged(stream_)) - taken)};
}

void OutputCapture::resume() {
  uint64_t taken = ring_.taken(stream_);
  uint64_t staged = static_cast<uint64_t>(*ring_.staged(stream_));
  if (staged < taken) {
    // A rewind cut short between its last two steps: the rest was already
    // copied to the stage's start, and `staged` already points past it.
    taken = kStageBase[stream_];
    ring_.rewind_taken(stream_, taken);
  }
  pending_.clear();
  if (staged > taken && !read_stage(stage_fd_, taken, staged - taken, pending_))
    spdlog::error("output stage unreadable at {}: {} bytes lost", taken, staged - taken);
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
      map_stage();
    }
    if (map_ && static_cast<uint64_t>(*staged) - kStageBase[stream_] > kMapBytes) {
      unmap_stage();
      before = ring_.taken(stream_);  // all of taken..staged to the buffer
    }
    if (!map_ && !read_stage(stage_fd_, before, static_cast<uint64_t>(*staged) - before, pending_))
      spdlog::error("output stage unreadable at {}: {} bytes lost", before, static_cast<uint64_t>(*staged) - before);
  }
  commit(p.end, prefix, emit);
  return p;
}

void OutputCapture::commit(bool at_end, std::string_view prefix, const Emit& emit) {
  lines_.clear();
  const std::string_view bytes = untaken();
  size_t used = take_lines(bytes, at_end, [this](std::string_view l) { lines_.push_back(l); });
  if (at_end) used = bytes.size();  // nothing more comes: taken catches up with staged
  if (used == 0) return;
  uint64_t taken = ring_.taken(stream_) + used;
  uint64_t first = ring_.append_captured(prefix, lines_, stream_ == 1, stream_, taken);
  if (emit && !lines_.empty()) emit(first, lines_);
  lines_.clear();
  if (!map_) pending_.consume(used);
  rewind();
}

// Starts the stage over, in an order a successor can resume from at any
// point: (1) the unterminated rest is copied to the stage's start, below
// what was taken, so the copy overwrites nothing still needed; (2) `staged`
// moves to its end; (3) `taken` moves to the start. Killed between (2) and
// (3), `staged` is below `taken`, which happens at no other time: resume()
// then knows the rest is at the start.
void OutputCapture::rewind() {
  const uint64_t base = kStageBase[stream_];
  if (ring_.taken(stream_) - base < kRewindAt) return;
  // Mapped, the rest is copied out first: it is written into the very file
  // it is read from (a few KiB, once a MiB).
  const std::string mapped_rest = map_ ? std::string(untaken()) : std::string();
  std::string_view rest = map_ ? std::string_view(mapped_rest) : pending_.view();
  for (size_t done = 0; done < rest.size();) {
    ssize_t n = pwrite(stage_fd_, rest.data() + done, rest.size() - done, static_cast<off_t>(base + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      spdlog::warn("output stage not rewound: {}", n < 0 ? std::strerror(errno) : "short write");
      return;  // the rest stays where it is, and so do the offsets
    }
    done += static_cast<size_t>(n);
  }
  *ring_.staged(stream_) = static_cast<int64_t>(base + rest.size());
  ring_.rewind_taken(stream_, base);
}

}  // namespace backend::worker
