// A growable byte buffer that, unlike std::string, never zero-fills what it
// is about to overwrite: output capture and log batching move hundreds of
// MB/s through such buffers, and clearing each byte first cost them an
// extra pass over memory.
//
// Blocks of kHugeBytes and more are mapped on their own, aligned to and in
// multiples of kHugeBytes, and offered to the kernel for transparent huge
// pages: one fault per 2 MiB instead of 512. A log batch that grows to
// several MiB is new memory, and its first touch cost more than everything
// else done with it: in a profile of a job writing 200 MB as fast as it
// could, the slow runs (twice the CPU of the others, half the rate) spent
// their time in page faults under the copy into the batch and in the
// thread pool's write out of it, which touched the same new pages again.
// Where the kernel gives no huge pages, the block is an ordinary mapping.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string_view>

namespace backend::worker {

class ByteBuffer {
 public:
  static constexpr size_t kHugeBytes = size_t(2) << 20;

  ByteBuffer() = default;
  ~ByteBuffer() { release(buf_, cap_); }
  ByteBuffer(ByteBuffer&& o) noexcept : buf_(o.buf_), size_(o.size_), cap_(o.cap_) { o.buf_ = nullptr, o.size_ = o.cap_ = 0; }
  ByteBuffer& operator=(ByteBuffer&& o) noexcept {
    if (this != &o) {
      release(buf_, cap_);
      buf_ = o.buf_, size_ = o.size_, cap_ = o.cap_;
      o.buf_ = nullptr, o.size_ = o.cap_ = 0;
    }
    return *this;
  }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  // Appends n bytes left for the caller to write; the pointer is valid until
  // the next call that grows the buffer.
  char* grow(size_t n) {
    if (size_ + n > cap_) reserve(std::max(size_ + n, cap_ * 2));
    char* at = buf_ + size_;
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
    if (n < size_) std::memmove(buf_, buf_ + n, size_ - n);
    size_ = n < size_ ? size_ - n : 0;
  }
  void clear() { size_ = 0; }
  // Throws std::bad_alloc when no memory is to be had, as new does.
  void reserve(size_t cap);

  std::string_view view() const { return {buf_, size_}; }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  bool empty() const { return size_ == 0; }

 private:
  static void release(char* buf, size_t cap) noexcept;

  char* buf_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace backend::worker
