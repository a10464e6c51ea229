#include "plugins/cluster/libcurl.h"

#include <dlfcn.h>

#include <stdexcept>

namespace backend::plugins::cluster {
namespace {

// The soname of libcurl 7.x and 8.x; CURLOPT_PROTOCOLS_STR, which the
// transport sets, needs 7.85 or later (Debian 12 has 7.88).
constexpr const char* kSoname = "libcurl.so.4";

struct Loaded {
  Libcurl calls{};
  std::string error;
};

template <class F>
bool bind(void* library, const char* name, F& call, std::string& error) {
  call = reinterpret_cast<F>(dlsym(library, name));
  if (!call && error.empty()) error = std::string(kSoname) + " has no " + name;
  return call != nullptr;
}

Loaded load() {
  Loaded loaded;
  // Never closed: libcurl keeps global state for the life of the process.
  void* library = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char* why = dlerror();
    loaded.error = std::string("cannot load ") + kSoname + " (" + (why ? why : "unknown reason") +
                   "): a host in a cluster needs libcurl 7.85 or later (Debian: libcurl4)";
    return loaded;
  }
  Libcurl& c = loaded.calls;
  std::string& e = loaded.error;
  bind(library, "curl_global_init", c.global_init, e);
  bind(library, "curl_easy_init", c.easy_init, e);
  bind(library, "curl_easy_reset", c.easy_reset, e);
  bind(library, "curl_easy_setopt", c.easy_setopt, e);
  bind(library, "curl_easy_getinfo", c.easy_getinfo, e);
  bind(library, "curl_easy_strerror", c.easy_strerror, e);
  bind(library, "curl_easy_cleanup", c.easy_cleanup, e);
  bind(library, "curl_multi_init", c.multi_init, e);
  bind(library, "curl_multi_setopt", c.multi_setopt, e);
  bind(library, "curl_multi_add_handle", c.multi_add_handle, e);
  bind(library, "curl_multi_remove_handle", c.multi_remove_handle, e);
  bind(library, "curl_multi_assign", c.multi_assign, e);
  bind(library, "curl_multi_socket_action", c.multi_socket_action, e);
  bind(library, "curl_multi_info_read", c.multi_info_read, e);
  bind(library, "curl_multi_cleanup", c.multi_cleanup, e);
  bind(library, "curl_slist_append", c.slist_append, e);
  bind(library, "curl_slist_free_all", c.slist_free_all, e);
  if (e.empty() && c.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) e = std::string(kSoname) + ": curl_global_init failed";
  return loaded;
}

const Loaded& loaded() {
  static const Loaded once = load();  // thread-safe, and only the first caller loads
  return once;
}

}  // namespace

std::optional<std::string> load_libcurl() {
  if (!loaded().error.empty()) return loaded().error;
  return std::nullopt;
}

const Libcurl& libcurl() {
  if (!loaded().error.empty()) throw std::runtime_error(loaded().error);
  return loaded().calls;
}

}  // namespace backend::plugins::cluster
