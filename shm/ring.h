// Bounded rings of output lines in shared memory: O(1) append under the
// ring's lock, lock-free reads of the newest lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shm/layout.h"

namespace backend::shm {

struct RingLine {
  uint64_t number;  // 0 for the first line ever appended, then +1 each
  std::string text;
  bool is_err = false;  // it came from stderr
};

class Ring {
 public:
  // Bytes a record costs beyond its text.
  static constexpr uint32_t kOverhead = 16;

  Ring(RingHeader* header, char* data) : h_(header), data_(data) {}

  // Formats a ring over `capacity` bytes of data (writer side, once).
  static void init(RingHeader* header, uint32_t capacity);

  bool initialised() const { return h_->capacity != 0; }
  uint32_t capacity() const { return h_->capacity; }

  // Appends one line, cut to what fits, dropping the oldest lines as needed.
  // Returns the line's number.
  uint64_t append(std::string_view text, bool is_err = false);
  // Appends whole lines of one job output stream, each after `prefix`, in
  // one commit that also sets the stream's `taken` offset: a writer killed
  // at any instant leaves all of it or none (once settle() has run).
  // Returns the first line's number.
  uint64_t append_captured(std::string_view prefix, const std::vector<std::string_view>& lines, bool is_err,
                           int stream, uint64_t taken);
  // Forgets every line; numbering goes on, so followers see a gap, not a repeat.
  void clear();

  // The capture offsets of a new run's stage, per stream.
  void reset_capture(const uint64_t base[2]);
  // After the ring's writer died: completes its last commit if it was
  // published, so that `taken` and the numbering match the lines kept.
  void settle();
  // Moves a stream's `taken` back to where its stage starts again (see
  // OutputCapture::rewind), and forgets the last commit, so that settle()
  // cannot put the old offset back.
  void rewind_taken(int stream, uint64_t taken);
  uint64_t taken(int stream) const { return h_->taken[stream].load(std::memory_order_acquire); }
  // Where splice(2) keeps a stream's stage offset.
  int64_t* staged(int stream) { return &h_->staged[stream]; }

  // The newest `n` lines still kept, oldest first.
  std::vector<RingLine> last(size_t n) const;
  // Lines numbered `first` or later still kept, oldest first, at most `n`
  // (the newest ones); `next` gets the number to ask for next time (with no
  // line to give, the number the next line will get, even below `first`).
  std::vector<RingLine> since(uint64_t first, size_t n, uint64_t& next) const;

  uint64_t next_line() const { return h_->next_line.load(std::memory_order_acquire); }

 private:
  void copy_out(uint64_t pos, void* dst, size_t len, uint32_t cap) const;
  void copy_in(uint64_t pos, const void* src, size_t len);
  void put(uint64_t& head, uint64_t number, bool is_err, std::string_view a, std::string_view b);
  std::vector<RingLine> collect(size_t n, uint64_t first) const;

  RingHeader* h_;
  char* data_;
};

// The READ reply: lines joined by '\n'.
std::string join_lines(const std::vector<RingLine>& lines);

}  // namespace backend::shm
