#include "plugins/scheduler/uuid.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <random>

namespace backend::plugins::scheduler {
namespace {

void fill_random(uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out + got, n - got, 0);
    if (r > 0) {
      got += static_cast<size_t>(r);
    } else if (r < 0 && errno != EINTR) {
      // No getrandom (very old kernel): random_device still gives unique ids.
      std::random_device rd;
      for (; got < n; ++got) out[got] = static_cast<uint8_t>(rd());
    }
  }
}

}  // namespace

std::string random_uuid() {
  uint8_t b[16];
  fill_random(b, sizeof b);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (size_t k = 0; k < 16; ++k) {
    if (k == 4 || k == 6 || k == 8 || k == 10) s += '-';
    s += kHex[b[k] >> 4];
    s += kHex[b[k] & 0x0f];
  }
  return s;
}

}  // namespace backend::plugins::scheduler
