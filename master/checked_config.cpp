#include "master/checked_config.h"

#include <algorithm>

#include "plugins/auth/auth_plugin.h"
#include "plugins/registry.h"
#include "worker/common/plugin_host.h"

namespace backend::master {
namespace {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Beyond loopback, anyone who can reach the port could run programs: only
// with users to authenticate, or when the operator says so.
std::optional<std::string> check_remote_guarded(const conf::Config& c) {
  bool remote_http = c.http_port != 0 && !is_loopback(c.http_host);
  if ((is_loopback(c.listen_host) && !remote_http) || c.allow_insecure_remote) return std::nullopt;
  const std::string& where = is_loopback(c.listen_host) ? c.http_host : c.listen_host;
  const auto& names = c.autoload_plugins;
  bool auth_loaded = std::find(names.begin(), names.end(), "*") != names.end() ||
                     std::find(names.begin(), names.end(), "auth") != names.end();
  std::string error;
  std::optional<bool> guarded =
      auth_loaded ? plugins::auth::AuthPlugin::enabled_with_users(c.data_dir + "/plugins/auth", error) : false;
  if (guarded.value_or(false)) return std::nullopt;
  return "listening on " + where + ", which is not a loopback address, needs the auth plugin enabled "
         "with at least one user" + (error.empty() ? "" : " (" + error + ")") +
         "; or set \"allow_insecure_remote\": true";
}

}  // namespace

std::optional<std::string> load_checked_config(const std::string& path, const conf::Overrides& overrides,
                                               conf::Config& out, const conf::Config* running, std::string* held) {
  conf::Config next;
  if (auto err = conf::load_config(path, overrides, next)) return err;
  if (running) {
    std::string keys = conf::hold_restart_only(*running, next);
    if (held) *held = std::move(keys);
  }
  if (auto err = worker::PluginHost::check(plugins::all_plugins(), next)) return path + ": " + *err;
  if (auto err = check_remote_guarded(next)) return *err;
  out = std::move(next);
  return std::nullopt;
}

}  // namespace backend::master
