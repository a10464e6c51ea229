// Cuts the front of a byte stream into lines at '\n'. Stateless: the caller
// keeps the unterminated rest and offers it again with more bytes.
#pragma once

#include <cstddef>
#include <string_view>

namespace backend::worker {

inline constexpr size_t kMaxLine = 64 * 1024;

// Calls emit(std::string_view line) for each whole line at the front of
// `data`, without its '\n'; a line longer than kMaxLine comes out in pieces
// of kMaxLine. With `at_end`, an unterminated rest is a line too. Returns
// the bytes used; the rest is an incomplete line.
template <class F>
size_t take_lines(std::string_view data, bool at_end, F&& emit) {
  size_t used = 0;
  while (used < data.size()) {
    std::string_view rest = data.substr(used);
    size_t nl = rest.substr(0, kMaxLine + 1).find('\n');
    if (nl != std::string_view::npos && nl <= kMaxLine) {
      emit(rest.substr(0, nl));
      used += nl + 1;
    } else if (rest.size() > kMaxLine) {
      emit(rest.substr(0, kMaxLine));  // its next byte is no '\n': a piece
      used += kMaxLine;
    } else if (at_end) {
      emit(rest);
      used = data.size();
    } else {
      break;  // wait for its end, or for it to pass the limit
    }
  }
  return used;
}

}  // namespace backend::worker
