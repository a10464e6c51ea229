// Job params split into words: never a crash; an accepted text, its words
// quoted back and split again, gives the same words.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "worker/supervisor/shell_words.h"

using backend::worker::split_shell_words;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  auto words = split_shell_words(std::string_view(reinterpret_cast<const char*>(data), size), error);
  if (!words) {
    if (error.empty()) abort();
    return 0;
  }
  std::string quoted;
  for (const auto& w : *words) {
    quoted += " '";
    for (char c : w) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    quoted += "'";
  }
  auto again = split_shell_words(quoted, error);
  if (!again || *again != *words) abort();
  return 0;
}
