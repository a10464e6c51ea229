#include <string>
#include <vector>

#include "cli.h"

int main(int argc, char** argv) { return backendctl::run_cli(std::vector<std::string>(argv + 1, argv + argc)); }
