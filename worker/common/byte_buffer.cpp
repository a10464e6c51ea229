#include "worker/common/byte_buffer.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>

namespace backend::worker {

namespace {

// A block of `cap` bytes (a multiple of kHugeBytes) at a kHugeBytes
// boundary: mapped with one kHugeBytes of slack, the ends trimmed off.
char* map_huge(size_t cap) {
  constexpr size_t kAlign = ByteBuffer::kHugeBytes;
  void* m = mmap(nullptr, cap + kAlign, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  auto start = reinterpret_cast<uintptr_t>(m);
  uintptr_t aligned = (start + kAlign - 1) & ~(uintptr_t(kAlign) - 1);
  if (aligned > start) munmap(m, aligned - start);
  if (size_t after = start + cap + kAlign - (aligned + cap)) munmap(reinterpret_cast<void*>(aligned + cap), after);
  auto* block = reinterpret_cast<char*>(aligned);
  madvise(block, cap, MADV_HUGEPAGE);  // a hint: refused (no THP here), the block is ordinary pages
  return block;
}

}  // namespace

void ByteBuffer::reserve(size_t cap) {
  if (cap <= cap_) return;
  if (cap >= kHugeBytes) cap = (cap + kHugeBytes - 1) / kHugeBytes * kHugeBytes;
  char* bigger = cap >= kHugeBytes ? map_huge(cap) : new char[cap];  // default-initialised: no fill
  if (size_ > 0) std::memcpy(bigger, buf_, size_);
  release(buf_, cap_);
  buf_ = bigger;
  cap_ = cap;
}

void ByteBuffer::release(char* buf, size_t cap) noexcept {
  if (!buf) return;
  if (cap >= kHugeBytes) munmap(buf, cap);
  else delete[] buf;
}

}  // namespace backend::worker
