// Cuts a byte stream into lines at '\n', whatever the reads' boundaries.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace backend::worker {

class LineSplitter {
 public:
  static constexpr size_t kMaxLine = 64 * 1024;

  // Calls emit(std::string_view line) for each whole line in data (without
  // its '\n'); a line longer than kMaxLine comes out in pieces of kMaxLine.
  template <class F>
  void feed(std::string_view data, F&& emit);
  // Emits what is left of an unterminated last line (at end of stream).
  template <class F>
  void finish(F&& emit);
  size_t pending() const { return partial_.size(); }

 private:
  std::string partial_;
};

template <class F>
void LineSplitter::feed(std::string_view data, F&& emit) {
  while (!data.empty()) {
    size_t nl = data.find('\n');
    std::string_view piece = data.substr(0, nl);
    // Whole lines that arrive in one read are emitted without a copy.
    if (partial_.empty() && nl != std::string_view::npos && piece.size() <= kMaxLine) {
      emit(piece);
      data.remove_prefix(nl + 1);
      continue;
    }
    size_t room = kMaxLine - partial_.size();
    if (piece.size() >= room) {
      partial_.append(piece.substr(0, room));
      emit(std::string_view(partial_));
      partial_.clear();
      bool ends_exactly = piece.size() == room && nl != std::string_view::npos;
      data.remove_prefix(ends_exactly ? room + 1 : room);
      continue;
    }
    partial_.append(piece);
    if (nl == std::string_view::npos) return;
    emit(std::string_view(partial_));
    partial_.clear();
    data.remove_prefix(nl + 1);
  }
}

template <class F>
void LineSplitter::finish(F&& emit) {
  if (partial_.empty()) return;
  emit(std::string_view(partial_));
  partial_.clear();
}

}  // namespace backend::worker
