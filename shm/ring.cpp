#include "shm/ring.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "shm/lock.h"

namespace backend::shm {

void Ring::init(RingHeader* header, uint32_t capacity) {
  new (header) RingHeader{};
  header->capacity = capacity;
  header->pending_head.store(UINT64_MAX);
}

// cap is passed in, read once by the caller: a slot being re-initialised
// for a new job may show 0 for a moment.
void Ring::copy_out(uint64_t pos, void* dst, size_t len, uint32_t cap) const {
  size_t off = pos % cap;
  size_t first = std::min<size_t>(len, cap - off);
  std::memcpy(dst, data_ + off, first);
  std::memcpy(static_cast<char*>(dst) + first, data_, len - first);
}

void Ring::copy_in(uint64_t pos, const void* src, size_t len) {
  if (len == 0) return;  // src may be null then
  size_t off = pos % h_->capacity;
  size_t first = std::min<size_t>(len, h_->capacity - off);
  std::memcpy(data_ + off, src, first);
  std::memcpy(data_, static_cast<const char*>(src) + first, len - first);
}

namespace {
constexpr uint64_t kErrFlag = uint64_t(1) << 63;
}  // namespace

// Writes one record of a then b at `head`, not yet published, first moving
// the tail past what it will overwrite. Under the lock.
void Ring::put(uint64_t& head, uint64_t number, bool is_err, std::string_view a, std::string_view b) {
  const uint32_t cap = h_->capacity;
  uint32_t len = static_cast<uint32_t>(std::min<size_t>(a.size() + b.size(), cap - kOverhead));
  uint32_t len_a = static_cast<uint32_t>(std::min<size_t>(a.size(), len));
  const uint64_t need = kOverhead + len;
  uint64_t tail = h_->tail.load(std::memory_order_relaxed);
  uint64_t new_tail = tail;
  while (head + need - new_tail > cap) {
    uint32_t old_len;
    copy_out(new_tail, &old_len, sizeof old_len, cap);
    new_tail += kOverhead + old_len;
  }
  if (new_tail != tail) {
    // Readers check tail after copying: it must move before the bytes do.
    h_->tail.store(new_tail, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
  }
  uint64_t stored = number | (is_err ? kErrFlag : 0);
  size_t off = head % cap;
  if (off + need <= cap) {  // the common case: no wrap inside the record
    char* at = data_ + off;
    std::memcpy(at, &len, 4);
    std::memcpy(at + 4, &stored, 8);
    if (len_a) std::memcpy(at + 12, a.data(), len_a);
    if (len > len_a) std::memcpy(at + 12 + len_a, b.data(), len - len_a);
    std::memcpy(at + 12 + len, &len, 4);
  } else {
    copy_in(head, &len, 4);
    copy_in(head + 4, &stored, 8);
    copy_in(head + 12, a.data(), len_a);
    copy_in(head + 12 + len_a, b.data(), len - len_a);
    copy_in(head + 12 + len, &len, 4);
  }
  head += need;
}

uint64_t Ring::append(std::string_view text, bool is_err) {
  if (h_->capacity <= kOverhead) return 0;
  LockGuard guard(h_->lock);
  uint64_t head = h_->head.load(std::memory_order_relaxed);
  uint64_t number = h_->next_line.load(std::memory_order_relaxed);
  put(head, number, is_err, text, {});
  h_->head.store(head, std::memory_order_release);
  h_->next_line.store(number + 1, std::memory_order_release);
  return number;
}

uint64_t Ring::append_captured(std::string_view prefix, const std::vector<std::string_view>& lines, bool is_err,
                               int stream, uint64_t taken) {
  LockGuard guard(h_->lock);
  uint64_t head = h_->head.load(std::memory_order_relaxed);
  const uint64_t first = h_->next_line.load(std::memory_order_relaxed);
  uint64_t number = first;
  const uint32_t cap = h_->capacity;
  if (cap > kOverhead) {
    // Lines this very commit would push out again are numbered, not written:
    // a job writing fast replaces its whole ring in one batch.
    size_t from = lines.size();
    for (uint64_t room = cap; from > 0; --from) {
      uint64_t need = kOverhead + std::min<uint64_t>(prefix.size() + lines[from - 1].size(), cap - kOverhead);
      if (need > room) break;
      room -= need;
    }
    if (from > 0) h_->tail.store(head, std::memory_order_release);  // everything older goes
    number += from;
    for (size_t i = from; i < lines.size(); ++i) put(head, number++, is_err, prefix, lines[i]);
  }
  // The order is the point: pending_head names this commit before the
  // rest of it is written, and head publishes it last.
  h_->pending_head.store(head, std::memory_order_release);
  h_->pending_stream.store(static_cast<uint32_t>(stream), std::memory_order_release);
  h_->pending_taken.store(taken, std::memory_order_release);
  h_->head.store(head, std::memory_order_release);
  h_->next_line.store(number, std::memory_order_release);
  h_->taken[stream].store(taken, std::memory_order_release);
  return first;
}

void Ring::reset_capture(const uint64_t base[2]) {
  LockGuard guard(h_->lock);
  h_->pending_head.store(UINT64_MAX, std::memory_order_release);
  for (int s = 0; s < 2; ++s) {
    h_->staged[s] = static_cast<int64_t>(base[s]);
    h_->taken[s].store(base[s], std::memory_order_release);
  }
}

void Ring::rewind_taken(int stream, uint64_t taken) {
  LockGuard guard(h_->lock);
  h_->pending_head.store(UINT64_MAX, std::memory_order_release);
  h_->taken[stream].store(taken, std::memory_order_release);
}

void Ring::settle() {
  LockGuard guard(h_->lock);
  if (h_->head.load(std::memory_order_relaxed) == h_->pending_head.load(std::memory_order_relaxed)) {
    uint32_t s = h_->pending_stream.load(std::memory_order_relaxed);
    if (s < 2) h_->taken[s].store(h_->pending_taken.load(std::memory_order_relaxed), std::memory_order_release);
  }
  auto newest = collect(1, 0);
  if (!newest.empty() && h_->next_line.load(std::memory_order_relaxed) <= newest[0].number)
    h_->next_line.store(newest[0].number + 1, std::memory_order_release);
}

void Ring::clear() {
  LockGuard guard(h_->lock);
  h_->tail.store(h_->head.load(std::memory_order_relaxed), std::memory_order_release);
}

// Walks back from the newest record. Whatever a concurrent writer may have
// overwritten lies below the tail it published first, so records that start
// below the tail read afterwards are dropped; the rest were intact.
std::vector<RingLine> Ring::collect(size_t n, uint64_t first) const {
  std::vector<RingLine> out;
  const uint32_t cap = h_->capacity;
  if (cap <= kOverhead || n == 0) return out;
  std::vector<uint64_t> starts;
  uint64_t tail = h_->tail.load(std::memory_order_acquire);
  uint64_t head = h_->head.load(std::memory_order_acquire);
  if (tail > head || head - tail > cap) return out;  // caught mid-reset: nothing sure to read
  for (uint64_t pos = head; out.size() < n && pos - tail >= kOverhead;) {
    uint32_t len;
    copy_out(pos - 4, &len, 4, cap);
    if (len > cap - kOverhead || pos - tail < kOverhead + len) break;
    uint64_t start = pos - kOverhead - len;
    RingLine line;
    copy_out(start + 4, &line.number, 8, cap);
    line.is_err = (line.number & kErrFlag) != 0;
    line.number &= ~kErrFlag;
    if (line.number < first) break;
    line.text.resize(len);
    copy_out(start + 12, line.text.data(), len, cap);
    out.push_back(std::move(line));
    starts.push_back(start);
    pos = start;
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  uint64_t tail_now = h_->tail.load(std::memory_order_relaxed);
  while (!starts.empty() && starts.back() < tail_now) {
    starts.pop_back();
    out.pop_back();
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<RingLine> Ring::last(size_t n) const { return collect(n, 0); }

std::vector<RingLine> Ring::since(uint64_t first, size_t n, uint64_t& next) const {
  uint64_t known_next = next_line();
  auto lines = collect(n, first);
  // Nothing new: the next line to come. A `first` beyond it (a number from
  // a previous server's ring) comes back down, so a follower resynchronises
  // instead of waiting for numbers that will not come for a long while.
  next = lines.empty() ? known_next : lines.back().number + 1;
  return lines;
}

std::string join_lines(const std::vector<RingLine>& lines) {
  std::string out;
  size_t total = 0;
  for (const auto& l : lines) total += l.text.size() + 1;
  out.reserve(total);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out.push_back('\n');
    out += lines[i].text;
  }
  return out;
}

}  // namespace backend::shm
