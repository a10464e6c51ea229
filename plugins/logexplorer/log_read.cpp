#include "plugins/logexplorer/log_read.h"

#include <algorithm>
#include <string_view>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

namespace backend::plugins::logexplorer {

namespace {

// Length of the UTF-8 sequence that lead byte c starts; 0 for a byte that
// starts none (a continuation byte, or one no valid sequence begins with).
size_t sequence_length(unsigned char c) {
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

// pread until n bytes or the end of the file (which can move: the current
// hour's log is being written and may also be truncated by a cleaner).
bool read_at(int fd, uint64_t offset, size_t n, std::string& out, int& err) {
  out.resize(n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd, out.data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      err = errno;
      return false;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return true;
}

std::string cut_sentence(const ReadRange& range, size_t returned, uint64_t size, bool at_cap,
                         uint64_t max_bytes) {
  std::string s = "content cut";
  if (at_cap) s += " at the limit of " + std::to_string(max_bytes) + " bytes";
  s += ": returned " + std::to_string(returned) + " bytes from offset " + std::to_string(range.offset) +
       " of a file of " + std::to_string(size) + " bytes; continue from offset " +
       std::to_string(range.offset + returned);
  return s;
}

}  // namespace

size_t utf8_cut_point(std::string_view bytes) {
  size_t n = bytes.size();
  // A sequence is at most 4 bytes: its lead byte is among the last 3.
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    auto c = static_cast<unsigned char>(bytes[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    size_t len = sequence_length(c);
    bool unfinished = len > back;
    return unfinished && back < n ? n - back : n;
  }
  return n;
}

ReadResult read_range(int fd, const ReadRange& range, uint64_t max_bytes) {
  ReadResult result;
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    result.error = "the log file cannot be read: " + std::generic_category().message(err);
    return result;
  }
  auto size = static_cast<uint64_t>(st.st_size);
  uint64_t left = range.offset < size ? size - range.offset : 0;
  uint64_t wanted = range.length.value_or(max_bytes);
  bool at_cap = wanted >= max_bytes && left > max_bytes;
  auto n = static_cast<size_t>(std::min({left, wanted, max_bytes}));
  int err = 0;
  if (n > 0 && !read_at(fd, range.offset, n, result.bytes, err)) {
    result.bytes.clear();
    result.error = "the log file cannot be read: " + std::generic_category().message(err);
    return result;
  }
  bool cut = range.offset + result.bytes.size() < size;
  if (cut) result.bytes.resize(utf8_cut_point(result.bytes));
  if (cut) result.error = cut_sentence(range, result.bytes.size(), size, at_cap, max_bytes);
  result.ok = true;
  return result;
}

}  // namespace backend::plugins::logexplorer
