// Job log files, written in batches on libuv's thread pool: lines are
// gathered per file in memory and handed over every few milliseconds, one
// batch at a time, so the loop never waits on a disk and a chatty job costs
// one write(2) per batch, not one per line.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <uv.h>

#include "shm/layout.h"
#include "worker/common/byte_buffer.h"

namespace backend::worker {

// Moves a progress mark up to `to`, never down: the writer's thread sets it
// when a batch is written, the loop when a quiet stream is passed by.
inline void raise_to(std::atomic<uint64_t>& mark, uint64_t to) {
  uint64_t cur = mark.load(std::memory_order_relaxed);
  while (cur < to && !mark.compare_exchange_weak(cur, to, std::memory_order_release, std::memory_order_relaxed)) {
  }
}

// Where the caller keeps track of a file: once data is written, *progress
// is set to upto, the caller's record of how far the file is known to be
// complete; before a write begins, *intent records its first line (`from`
// of the data's first append) and the file's size then
// (shm::LogIntent), so that the write can be undone if it is cut.
struct LogMarks {
  std::atomic<uint64_t>* progress = nullptr;
  shm::LogIntent* intent = nullptr;
  uint64_t from = 0;
  uint64_t upto = 0;
};

class LogWriter {
 public:
  static constexpr uint64_t kFlushMs = 20;
  static constexpr size_t kFlushBytes = 1 << 20;
  static constexpr uint64_t kIdleCloseMs = 120000;  // a file unused this long is closed
  // Queued bytes at which full() says to stop reading: a job writing faster
  // than the disk takes is slowed to the disk's pace, as it would be
  // writing to the file itself, instead of the queue growing without bound.
  // It is also the slack that lets reading go on while one batch's write
  // stalls (a file's first blocks, writeback). A 200 MB writer, 4 MiB and
  // 16 MiB taking turns: medians about the same, but the slow runs fewer
  // (slowest 115 MB/s at 4 MiB, 205 at 16). The cost is memory during a
  // burst only: release_spares() gives it back once the queue is empty.
  static constexpr size_t kBacklogBytes = 16 * kFlushBytes;
  // Lines are queued in chunks of this size (one huge page, see
  // ByteBuffer), filled one after the other and handed to the writing
  // thread whole: a chunk is never grown and copied, and a written one is
  // filled again, so a burst touches new memory only until the queue has
  // as many chunks as it ever holds. Batches grew one buffer per file by
  // doubling instead, each growth new memory to fault in on both sides
  // (the 200 MB profiles of ByteBuffer's huge pages).
  static constexpr size_t kChunkBytes = 2 << 20;
  // Written chunks kept for refilling: as many as a full queue and a batch
  // in flight hold. Let go at a tick that finds nothing queued or written.
  static constexpr size_t kSpareChunks = kBacklogBytes / kFlushBytes + 2;

  explicit LogWriter(uv_loop_t* loop);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Queues data for the file at path (its folders are made as needed).
  void append(const std::string& path, std::string_view data, const LogMarks& marks = {});
  // Queues lines, each as prefix, text and '\n', with no copy in between.
  void append_lines(const std::string& path, std::string_view prefix, std::span<const std::string_view> lines,
                    const LogMarks& marks);
  // Cuts the file back to `size` bytes before anything queued after this is
  // written to it (undoing a write a killed predecessor was in).
  void cut_back(const std::string& path, uint64_t size);
  // Starts writing what is queued now rather than at the next tick.
  void flush();
  // Stops the timer once everything queued is written (for shutdown).
  void close();
  size_t queued_bytes() const { return queued_; }
  // Memory the queue holds now (its chunks' capacities, queued or kept for
  // refilling; not those of a batch being written), and how many whole
  // chunks it ever made.
  size_t held_bytes() const;
  size_t chunks_made() const { return chunks_made_; }
  // The queue holds kBacklogBytes while a batch is being written (never
  // otherwise: a full queue starts a batch). on_room is called once it is
  // no longer full.
  bool full() const { return queued_ >= kBacklogBytes; }
  void set_on_room(std::function<void()> on_room) { on_room_ = std::move(on_room); }

 private:
  struct File {
    int fd = -1;
    std::vector<ByteBuffer> pending;  // chunks, oldest first; the last is being filled
    ByteBuffer spare;  // a written first chunk smaller than kChunkBytes, for the next
    uint64_t last_used = 0;
    std::atomic<uint64_t>* progress = nullptr;
    shm::LogIntent* intent = nullptr;
    uint64_t from = 0;  // the first line of what is pending
    uint64_t upto = 0;
    int64_t cut = -1;  // cut back to this size before the next write; -1: no
    bool failing = false;  // its last write failed (and that was logged once)
  };
  struct Batch;
  static void on_timer(uv_timer_t* t);
  void start_batch();
  void finish_batch(Batch* b);
  void report(File* file, const std::string& path, const std::string& error);
  void close_idle_files();
  void release_spares();
  File& queue_for(const std::string& path, const LogMarks& marks);
  // The chunk of f to write n more bytes into: its last, or a new one.
  ByteBuffer& chunk_for(File& f, size_t n);
  void queued(size_t bytes);
  bool cuts_waiting() const;
  void arm(uint64_t ms);

  uv_loop_t* loop_;
  uv_timer_t* timer_;
  std::unordered_map<std::string, File> files_;
  std::vector<ByteBuffer> spare_chunks_;  // written, cleared, for refilling
  size_t chunks_made_ = 0;
  size_t queued_ = 0;
  uint64_t armed_ms_ = 0;
  bool in_flight_ = false;
  bool closing_ = false;
  std::function<void()> on_room_;
};

}  // namespace backend::worker
