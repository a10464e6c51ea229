// The HTTP face's request reader (worker/listener/http_request.h, Boost.Beast's
// parser inside) fed the input in pieces whose sizes the input chooses:
// whatever comes in, no request it hands out has a body over the limit or
// a header over 16 KiB, and once it refused something it hands out nothing
// more.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "worker/listener/http_request.h"

using backend::worker::HttpRequest;
using backend::worker::HttpRequestReader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first byte picks the body limit, the second the piece size.
  size_t limit = data[0] == 255 ? size_t(1) << 20 : data[0];
  size_t step = 1 + data[1] % 128;
  std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);
  HttpRequestReader reader(limit);
  bool refused = false;
  for (size_t at = 0; at < stream.size(); at += step) {
    std::string_view piece = stream.substr(at, step);
    reader.feed(piece.data(), piece.size());
    HttpRequest req;
    for (;;) {
      auto status = reader.next(req);
      if (status == HttpRequestReader::Status::kNeedMore) break;
      if (status == HttpRequestReader::Status::kBad) {
        int code = reader.bad_status();
        if (code != 400 && code != 413 && code != 431) std::abort();
        refused = true;
        break;
      }
      if (refused || req.body.size() > limit) std::abort();
      if (req.host.size() + req.origin.size() + req.target.size() > HttpRequestReader::kMaxHeader) std::abort();
    }
  }
  return 0;
}
