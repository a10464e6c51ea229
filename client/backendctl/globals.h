// The options given before the command, with their environment defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace backendctl {

struct GlobalOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 13123;
  std::optional<std::string> user;  // authenticate as this user
  bool json = false;
  std::optional<std::chrono::milliseconds> timeout;
  bool help = false;
  bool version = false;
  std::vector<std::string> command;  // the command and its arguments
};

// getenv, or a table in tests.
using EnvLookup = std::function<const char*(const char*)>;

// BACKEND_HOST, BACKEND_PORT and BACKEND_USER give the defaults; options
// override them. Throws UsageError.
GlobalOptions parse_globals(const std::vector<std::string>& args, const EnvLookup& env);

}  // namespace backendctl
