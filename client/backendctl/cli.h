// The whole tool as a function: arguments in, exit status out.
#pragma once

#include <string>
#include <vector>

namespace backendctl {

// `args` without the program name.
int run_cli(const std::vector<std::string>& args);

}  // namespace backendctl
