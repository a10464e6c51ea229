// Length-prefixed framing of PROTOCOL.md: u32 little-endian length, payload.
// The one codec of the wire: the server, the client library (which builds
// this file alone into libbackendclient, see protocol/CMakeLists.txt) and
// the tests' clients and fake server all frame through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace backend::protocol {

inline constexpr uint32_t kDefaultMaxFrame = 16u * 1024 * 1024;
// The length that starts every frame.
inline constexpr size_t kFrameHeaderSize = 4;

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

// Appends the 4-byte length and the payload to out. Throws
// std::length_error for a payload of 4 GiB or more, which no length can
// announce.
void append_frame(std::string& out, std::string_view payload);
std::string encode_frame(std::string_view payload);

// The payload length announced by the header at the start of `bytes`, for
// a reader that takes a frame's two parts itself; nullopt while fewer than
// kFrameHeaderSize bytes are there.
std::optional<uint32_t> frame_length(std::string_view bytes);

}  // namespace backend::protocol
