// The frame decoder fed the input in pieces whose sizes the input chooses:
// every frame it yields is exactly what was sent, in order, whatever the
// split; a length over the limit is refused, and then nothing more decoded.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/frame.h"

using backend::protocol::FrameDecoder;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first byte picks the limit (0..255 and a large one), the second the
  // piece size pattern; the rest is the stream.
  uint32_t limit = data[0] == 255 ? 1u << 20 : data[0];
  size_t step = 1 + data[1] % 64;
  std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);
  FrameDecoder dec(limit);
  size_t consumed = 0;  // bytes of the stream accounted for by frames
  bool refused = false;
  for (size_t at = 0; at < stream.size() && !refused; at += step) {
    dec.feed(stream.data() + at, std::min(step, stream.size() - at));
    std::string_view payload;
    for (;;) {
      auto st = dec.next(payload);
      if (st == FrameDecoder::Status::kNeedMore) break;
      if (st == FrameDecoder::Status::kTooLarge) {
        if (dec.refused_length() <= limit) abort();
        refused = true;
        break;
      }
      if (payload.size() > limit) abort();
      std::string expected = backend::protocol::encode_frame(payload);
      if (stream.substr(consumed, expected.size()) != expected) abort();
      consumed += expected.size();
    }
  }
  if (!refused && dec.mid_frame() != (consumed < stream.size())) abort();
  return 0;
}
