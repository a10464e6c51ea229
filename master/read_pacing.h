// When the master's loop reads a source that wakes it: at once after a quiet
// spell, then at most once a window while messages keep coming.
//
// A START sends the master two control messages (the job's pipes before the
// spawn, its pid after) and the listener's two log lines: read one by one,
// each woke the master, three to four times a START, and on two CPUs a woken
// master takes CPU time the supervisor and the jobs' own starts need.
// Nothing read there is urgent: what a supervisor lends is the kernel's to
// keep in the socket until read (the master holds both ends), and whoever
// needs it all read first reads it all (a dead worker's messages and lines
// before its death is handled). In a burst the master now reads a window's
// worth at a time. START of 1,000 jobs: 0.721 s before, 0.653 s after, and
// 0.661 s for a trial build that sent the master nothing at all (medians
// of 8 rounds alternating, perf record -a -g of the burst, 2026-12-07).
#pragma once

#include <cstdint>

namespace backend::master {

class ReadPacing {
 public:
  static constexpr int64_t kWindowMs = 10;

  // Whether the loop polls the source now.
  bool due(int64_t now_ms) const { return now_ms >= quiet_until_; }
  // After a read: the next one waits for the window's end. A read that
  // left more behind (a full batch) starts no window.
  void read(int64_t now_ms, bool drained) { quiet_until_ = drained ? now_ms + kWindowMs : 0; }
  // When the loop must wake to poll the source again; -1 if it polls it now.
  int64_t wake_at(int64_t now_ms) const { return due(now_ms) ? -1 : quiet_until_; }

 private:
  int64_t quiet_until_ = 0;
};

}  // namespace backend::master
