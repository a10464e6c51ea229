#include "worker/listener/dashboard/assets.h"

#include <algorithm>

namespace backend::worker::dashboard {

const Asset* find_asset(std::string_view path) {
  auto all = assets();
  auto it = std::lower_bound(all.begin(), all.end(), path, [](const Asset& a, std::string_view p) { return a.path < p; });
  return it != all.end() && it->path == path ? &*it : nullptr;
}

}  // namespace backend::worker::dashboard
