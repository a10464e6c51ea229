// backend-server's command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conf/config.h"

namespace backend::master {

struct Options {
  std::string config_file;  // empty: the embedded default
  conf::Overrides overrides;
  bool daemon = false;
  bool check_config = false;
  bool check_upgrade = false;
  std::vector<std::string> argv;  // as started: an upgrade in place execs the new binary with them
  bool version = false;
  bool help = false;
};

// Returns the error sentence for a bad command line.
std::optional<std::string> parse_options(int argc, char** argv, Options& out);
std::string usage();

}  // namespace backend::master
