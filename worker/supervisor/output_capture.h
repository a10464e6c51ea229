// Moves one output stream of a job from its pipe into its ring exactly once,
// however the supervisor is killed.
//
// The pipe is drained with splice(2) into the run's stage file (a memfd the
// master also holds), and the kernel writes the new stage offset into
// shared memory (RingHeader::staged) as part of that same call: every byte
// is either still in the pipe or staged, never only in a dead process's
// memory. Whole lines then go from the stage to the ring in one commit that
// also advances `taken`; an unterminated line waits in the stage. A
// successor resumes at taken..staged, so no line is lost or doubled.
//
// Once a MiB was taken, the stage starts over at its beginning (rewind()):
// the same few pages are written again and again, warm in the cache,
// instead of new ones being allocated and freed for every MiB of output.
//
// A stream that fills its pipe has its region of the stage mapped, and its
// lines are cut straight out of the pages splice(2) wrote: without the
// mapping every byte was copied once more, out of the stage into a buffer
// (pread), only to be split. A stream writing a little at a time keeps the
// buffer: it needs no mapping of its own for a few bytes now and then.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "shm/ring.h"
#include "worker/common/byte_buffer.h"

namespace backend::worker {

// Each stream's region of the stage file (2^62 bytes each, of which a few
// MiB are ever used).
inline constexpr uint64_t kStageBase[2] = {0, uint64_t(1) << 62};

// A new run's stage file, close-on-exec; -1 with errno on failure.
int create_stage();

class OutputCapture {
 public:
  // Lines as committed: the first one's ring number, then the texts.
  using Emit = std::function<void(uint64_t first, const std::vector<std::string_view>& lines)>;

  OutputCapture(int pipe_fd, int stage_fd, bool is_err, shm::Ring ring);
  ~OutputCapture();
  OutputCapture(const OutputCapture&) = delete;
  OutputCapture& operator=(const OutputCapture&) = delete;

  // Reloads the unterminated line a predecessor left staged.
  void resume();

  struct Pumped {
    size_t bytes = 0;  // taken from the pipe by this call
    bool end = false;  // the pipe reached end of file (or failed)
  };
  // One splice of at most `limit` bytes, then whole lines to the ring,
  // each after `prefix`. Never blocks.
  Pumped pump(size_t limit, std::string_view prefix, const Emit& emit);

  int pipe_fd() const { return pipe_fd_; }
  bool is_err() const { return stream_ == 1; }
  // Whether the lines are cut from the mapped stage (after a full pipe).
  bool mapped() const { return map_ != nullptr; }

 private:
  void commit(bool at_end, std::string_view prefix, const Emit& emit);
  void rewind();
  void map_stage();
  void unmap_stage();
  // The stage's bytes taken..staged: the unterminated rest, then what the
  // last splice added.
  std::string_view untaken();

  int pipe_fd_;
  int stage_fd_;
  int stream_;
  shm::Ring ring_;
  ByteBuffer pending_;  // unmapped: a copy of the stage bytes taken..staged
  char* map_ = nullptr;  // the stream's region of the stage, kMapBytes long
  bool grown_ = false;   // the pipe was enlarged once
  std::vector<std::string_view> lines_;
};

}  // namespace backend::worker
