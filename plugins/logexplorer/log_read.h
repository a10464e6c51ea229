// A part of a log file's bytes, at most a set number at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace backend::plugins::logexplorer {

inline constexpr uint64_t kDefaultMaxBytes = 8 * 1024 * 1024;

struct ReadRange {
  uint64_t offset = 0;
  std::optional<uint64_t> length;  // none: up to max_bytes
};

struct ReadResult {
  bool ok = false;
  std::string bytes;
  // FAILED: why. OK: empty, or the warning that the content was cut, with
  // what was returned, the file's size and the offset to continue from.
  std::string error;
};

// Reads the range of the open regular file fd, at most max_bytes. An offset
// at or past the end gives no bytes, and no error.
ReadResult read_range(int fd, const ReadRange& range, uint64_t max_bytes);

// Where a part that was cut should end so that it does not split a UTF-8
// character: the bytes of an unfinished sequence at its end go to the next
// part, unless they are all there is.
size_t utf8_cut_point(std::string_view bytes);

}  // namespace backend::plugins::logexplorer
