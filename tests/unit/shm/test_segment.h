// A segment of its own for each test, removed afterwards.
#pragma once

#include <unistd.h>

#include <atomic>
#include <string>

#include "shm/segment.h"

namespace backend::shm::testing {

inline std::string unique_segment_name(const char* tag) {
  static std::atomic<int> counter{0};
  return std::string("utest-") + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

struct ScopedSegment {
  explicit ScopedSegment(const char* tag, SegmentParams params = {16, 8192, 8192})
      : name(unique_segment_name(tag)), seg(Segment::create(name, params)) {}
  ~ScopedSegment() { Segment::remove(name); }
  std::string name;
  Segment seg;
};

}  // namespace backend::shm::testing
