// The job settings options of `add` and `update`.
#pragma once

#include <string_view>
#include <vector>

#include "args.h"
#include "backend/client.h"

namespace backendctl {

const std::vector<OptionSpec>& job_option_specs();
extern const std::string_view kJobOptionsHelp;

// The settings the options name, in command-line order (a later option
// overrides an earlier one); all --env options together make one "env"
// object. Throws UsageError.
backend::client::Params job_settings(const ParsedArgs& args);

// A `--set KEY=VALUE` value: JSON when it parses as JSON, else the text
// as a string (so that `--set note=hello` needs no quotes).
void set_key_value(backend::client::Params& params, const std::string& assignment);

}  // namespace backendctl
