#include "worker/common/log_relay.h"

#include <algorithm>
#include <cstdio>

namespace backend::worker {
namespace {

bool parse_hex(std::string_view text, size_t& out) {
  out = 0;
  for (char c : text) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return false;
    out = out * 16 + static_cast<size_t>(digit);
  }
  return true;
}

bool is_hour(std::string_view text) {
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::string relay_record(std::string_view hour, std::string_view text) {
  char length[9];
  std::snprintf(length, sizeof length, "%08zx", text.size() & 0xffffffffu);
  std::string record;
  record.reserve(RelayReader::kHeaderBytes + text.size());
  record.append(hour.substr(0, 10)).append(10 - std::min<size_t>(hour.size(), 10), '0');
  record.append(length, 8).append(text);
  return record;
}

void RelayReader::feed(std::string_view bytes, const Out& out) {
  pending_.append(bytes);
  size_t at = 0;
  while (pending_.size() - at >= kHeaderBytes) {
    std::string_view head(pending_.data() + at, kHeaderBytes);
    size_t length = 0;
    if (!is_hour(head.substr(0, 10)) || !parse_hex(head.substr(10), length) || length > kMaxRecordBytes) {
      discarded_ += pending_.size() - at;
      pending_.clear();
      return;
    }
    if (pending_.size() - at - kHeaderBytes < length) break;
    out(head.substr(0, 10), std::string_view(pending_.data() + at + kHeaderBytes, length));
    at += kHeaderBytes + length;
  }
  pending_.erase(0, at);
}

}  // namespace backend::worker
