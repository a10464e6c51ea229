#include "protocol/coerce.h"

#include <limits>
#include <string_view>

namespace backend::protocol {

std::optional<bool> coerce_bool(const rapidjson::Value& v) {
  if (v.IsBool()) return v.GetBool();
  if (v.IsInt64() || v.IsUint64()) {
    // 1 and 0 only: PHP would take 2 for true, but a 2 is more likely a
    // mistake than a wish.
    if (v.IsInt64() && v.GetInt64() == 1) return true;
    if (v.IsInt64() && v.GetInt64() == 0) return false;
    return std::nullopt;
  }
  if (v.IsString()) {
    std::string_view s(v.GetString(), v.GetStringLength());
    if (s == "1" || s == "true") return true;
    if (s == "0" || s == "false" || s.empty()) return false;
  }
  return std::nullopt;
}

std::optional<int64_t> coerce_int(const rapidjson::Value& v) {
  // Doubles are refused even when whole (30.0): RapidJSON keeps the number
  // as written, and a client that writes 30.0 did not mean a count.
  if (v.IsInt64()) return v.GetInt64();
  if (!v.IsString()) return std::nullopt;
  std::string_view s(v.GetString(), v.GetStringLength());
  if (s.empty()) return std::nullopt;
  int64_t n = 0;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    int d = c - '0';
    if (n > (kMax - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  return n;
}

}  // namespace backend::protocol
