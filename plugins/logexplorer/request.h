// A logexplorer command and its parameters, checked and copied out of the
// request so the work can run on another thread after the request is gone.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "plugins/logexplorer/log_read.h"

namespace backend::plugins::logexplorer {

enum class Verb { kListDir, kListFile, kGet };

struct Request {
  Verb verb = Verb::kListDir;
  std::vector<std::string> folder;  // under the log folder: jobs/NAME or server
  std::string dirname;              // LISTFILE, GET
  std::string filename;             // GET
  ReadRange range;                  // GET
};

// What a command asks for: its verb, in a job's log folder or the server's.
struct Target {
  Verb verb;
  bool job;
};

// The request, or none with error set to the sentence for a FAILED reply
// (a parameter missing, of the wrong type, or not one plain path component).
std::optional<Request> parse_request(Target target, const rapidjson::Value& params, std::string& error);

}  // namespace backend::plugins::logexplorer
