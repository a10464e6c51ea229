// A schedule's condition as a client may send it (time fields or cron):
// checking never crashes, and for an accepted one the next due time is
// found, or "never", in bounded time (libFuzzer's -timeout catches a walk
// that does not end) and always lies after the given time.
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>

#include <rapidjson/document.h>

#include "plugins/scheduler/condition.h"
#include "plugins/scheduler/next_due.h"

using namespace backend::plugins::scheduler;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the time zone of the walk, as the server's TZ.
  static const char* const zones[] = {"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"};
  setenv("TZ", zones[data[0] % 4], 1);
  tzset();
  rapidjson::Document doc;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.c_str(), text.size());
  if (doc.HasParseError()) return 0;
  std::string error;
  auto c = parse_condition(doc, error);
  if (!c) {
    if (error.empty()) abort();
    return 0;
  }
  c->canonical();
  const time_t t = 1795000000;  // 2026-11-18
  if (auto due = next_due(*c, t); due && *due <= t) abort();
  return 0;
}
