// Length-prefixed framing of PROTOCOL.md: u32 little-endian length, payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace backend::protocol {

inline constexpr uint32_t kDefaultMaxFrame = 16u * 1024 * 1024;

// Incremental decoder for one connection. Bytes arrive in any split; frames
// come out whole. The announced length is checked against the limit before
// anything is reserved for it, so a hostile length costs nothing.
class FrameDecoder {
 public:
  enum class Status { kNeedMore, kFrame, kTooLarge };

  explicit FrameDecoder(uint32_t max_payload = kDefaultMaxFrame);

  void set_limit(uint32_t max_payload) { max_payload_ = max_payload; }

  // Appends received bytes.
  void feed(const char* data, size_t len);

  // Yields the next whole payload. The view stays valid until the next
  // feed() or next() call. After kTooLarge the decoder stays in that state.
  Status next(std::string_view& payload);

  // True when part of a frame (or of its length) has been received.
  bool mid_frame() const { return buf_.size() > pos_; }
  // Length announced by a frame refused as too large.
  uint32_t refused_length() const { return refused_; }

 private:
  uint32_t max_payload_;
  uint32_t refused_ = 0;
  bool too_large_ = false;
  std::string buf_;
  size_t pos_ = 0;  // start of the first unconsumed byte in buf_
};

// Appends the 4-byte length and the payload to out.
void append_frame(std::string& out, std::string_view payload);
std::string encode_frame(std::string_view payload);

}  // namespace backend::protocol
