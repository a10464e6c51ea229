// Command-line parsing shared by the global options and every command:
// `--name value`, `--name=value`, `-x value`, `-xvalue`, and `--` to end
// the options. Mistakes throw UsageError (exit status 64).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace backendctl {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string_view name;  // the long name, without "--"
  char short_name = 0;    // 0: none
  bool takes_value = false;
};

struct ParsedOption {
  std::string name;  // the long name, whichever spelling was typed
  std::string value;
};

struct ParsedArgs {
  std::vector<ParsedOption> options;  // in command-line order, repeats kept
  std::vector<std::string> positionals;
  bool help = false;  // -h or --help
  bool json = false;  // --json: the one global option also taken after the command

  bool has(std::string_view name) const;
  // The last value given: a later option overrides an earlier one.
  std::optional<std::string> value(std::string_view name) const;
  std::vector<std::string> values(std::string_view name) const;
};

enum class StopAt {
  kEnd,         // options and positionals may mix (a command's arguments)
  kPositional,  // the first positional and all after it are positionals (the global options)
};

ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                      StopAt stop = StopAt::kEnd);

// A whole number in [min, max]; `what` names it in the error.
int64_t parse_int(std::string_view what, std::string_view text, int64_t min, int64_t max);

}  // namespace backendctl
