// A job's output on its way from its two pipes to its ring and its log
// files: read when a pipe has something (many lines per wakeup for a job
// that writes a little at a time), each line prefixed with the time and
// numbered in the ring (output_capture.h), then handed to the log writer
// in batches (log_writer.h), which records in the job's slot how far each
// stream's log is written, so that a successor writes what is left.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <uv.h>

#include "shm/ring.h"
#include "shm/segment.h"
#include "worker/common/clock.h"
#include "worker/supervisor/log_writer.h"
#include "worker/supervisor/run.h"

namespace backend::worker {

// A run's stage file (output_capture.h), shared by its two streams.
struct Stage {
  explicit Stage(int f) : fd(f) {}
  ~Stage();
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;
  int fd;
};

class OutputPump {
 public:
  OutputPump(uv_loop_t* loop, const shm::Segment& segment, std::string log_dir);
  ~OutputPump();
  OutputPump(const OutputPump&) = delete;
  OutputPump& operator=(const OutputPump&) = delete;

  // Starts reading a run's pipes (-1: not that stream). Takes the fds.
  void open(Run& run, int out_fd, int err_fd, const std::shared_ptr<Stage>& stage);
  // What the run's pipes held when its process exited, up to that moment:
  // its last lines come before the line that says it exited. Children left
  // holding the pipes may write on for ever; their lines come as they come.
  void drain(Run& run);
  // A line of the server's own about the run, in its ring and its log as
  // the job's output is.
  void record(Run& run, const std::string& line);
  // Lines a dead supervisor had put in the ring but not yet written to the
  // log: written now, before anything newer.
  void catch_up_logs(Run& run);
  void cut_back_uncounted(Run& run, int stream, const std::vector<shm::RingLine>& lines, uint64_t logged);
  // Stops reading the run's pipes and closes them.
  void close(Run& run);
  // Called when the last open pipe of a run closes, by end of file or
  // close(): the master may then let go of its copies.
  void set_on_closed(std::function<void(Run&)> on_closed) { on_closed_ = std::move(on_closed); }
  // Writes what is queued for the log files, then stops (the loop ends).
  void close_logs() { logs_.close(); }
  // Closes the coalescing timer (the loop is ending).
  void close_timer();

  // The wall clock output lines are stamped with.
  LineClock& clock() { return clock_; }

  // At most this much of one stream is moved per loop turn.
  static constexpr size_t kPumpBytes = 256 * 1024;
  // A read smaller than this pauses the stream for kCoalesceMs (pause()).
  static constexpr size_t kTrickleBytes = 16 * 1024;
  static constexpr uint64_t kCoalesceMs = 50;

 private:
  friend struct OutputStream;
  void pause(OutputStream& o);
  bool hold(OutputStream& o);
  void release_held();
  void arm_resume_timer();
  void resume_paused();
  void closed(OutputStream& o);
  void log_lines(Run& run, bool is_err, uint64_t first, std::span<const std::string_view> lines,
                 std::string_view prefix);
  std::string log_path(const std::string& name, const std::string& hour, bool is_err) const;

  uv_loop_t* loop_;
  const shm::Segment& seg_;
  std::string log_dir_;
  LogWriter logs_;
  LineClock clock_;
  std::vector<OutputStream*> paused_;
  std::vector<OutputStream*> held_;
  uv_timer_t* resume_timer_;
  std::function<void(Run&)> on_closed_;
};

}  // namespace backend::worker
