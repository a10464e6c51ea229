// Cron expressions as a client may send them: parsing never crashes; an
// accepted one selects at least one value in every field and none outside
// it (no day or month 0), and the same text always reads the same.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "plugins/scheduler/cron.h"

using namespace backend::plugins::scheduler;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  auto cron = parse_cron(std::string_view(reinterpret_cast<const char*>(data), size), error);
  if (!cron) {
    if (error.empty()) abort();
    return 0;
  }
  if (cron->minutes.none() || cron->hours.none() || cron->days.none() || cron->months.none() ||
      cron->weekdays.none() || cron->days[0] || cron->months[0])
    abort();
  auto again = parse_cron(std::string_view(reinterpret_cast<const char*>(data), size), error);
  if (!again || again->canonical() != cron->canonical()) abort();
  return 0;
}
