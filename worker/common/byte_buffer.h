// A growable byte buffer that, unlike std::string, never zero-fills what it
// is about to overwrite: output capture and log batching move hundreds of
// MB/s through such buffers, and clearing each byte first cost them an
// extra pass over memory.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace backend::worker {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(ByteBuffer&& o) noexcept : buf_(std::move(o.buf_)), size_(o.size_), cap_(o.cap_) { o.size_ = o.cap_ = 0; }
  ByteBuffer& operator=(ByteBuffer&& o) noexcept {
    buf_ = std::move(o.buf_);
    size_ = o.size_;
    cap_ = o.cap_;
    o.size_ = o.cap_ = 0;
    return *this;
  }

  // Appends n bytes left for the caller to write; the pointer is valid until
  // the next call that grows the buffer.
  char* grow(size_t n) {
    if (size_ + n > cap_) reserve(std::max(size_ + n, cap_ * 2));
    char* at = buf_.get() + size_;
    size_ += n;
    return at;
  }
  void append(std::string_view s) {
    if (!s.empty()) std::memcpy(grow(s.size()), s.data(), s.size());
  }
  // Gives back the last n bytes of a grow() that were not written.
  void shrink_by(size_t n) { size_ -= n; }
  // Drops the first n bytes.
  void consume(size_t n) {
    if (n < size_) std::memmove(buf_.get(), buf_.get() + n, size_ - n);
    size_ = n < size_ ? size_ - n : 0;
  }
  void clear() { size_ = 0; }
  void reserve(size_t cap) {
    if (cap <= cap_) return;
    std::unique_ptr<char[]> bigger(new char[cap]);  // default-initialised: no fill
    if (size_ > 0) std::memcpy(bigger.get(), buf_.get(), size_);
    buf_ = std::move(bigger);
    cap_ = cap;
  }

  std::string_view view() const { return {buf_.get(), size_}; }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  bool empty() const { return size_ == 0; }

 private:
  std::unique_ptr<char[]> buf_;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace backend::worker
