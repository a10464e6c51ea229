#include "outcome.h"

namespace backendctl {

using backend::client::Code;

int exit_status(Code code) {
  switch (code) {
    case Code::kOk:
      return kExitOk;
    case Code::kFailed:
      return kExitFailed;
    case Code::kDenied:
      return kExitDenied;
    case Code::kUnknown:
      return kExitUnknown;
    case Code::kTransport:
      return kExitTransport;
  }
  return kExitTransport;
}

std::string failure_line(Code code, std::string_view error, std::string_view server) {
  std::string label;
  switch (code) {
    case Code::kOk:
      label = "OK";
      break;
    case Code::kFailed:
      label = "FAILED";
      break;
    case Code::kDenied:
      label = "DENIED";
      break;
    case Code::kUnknown:
      label = "UNKNOWN";
      break;
    case Code::kTransport: {
      // The address once: a connection error names it already.
      std::string_view host = server.substr(0, server.rfind(':'));
      if (error.empty()) return "backendctl: " + std::string(server) + ": no reply";
      if (error.find(host) != std::string_view::npos) return "backendctl: " + std::string(error);
      return "backendctl: " + std::string(server) + ": " + std::string(error);
    }
  }
  return error.empty() ? label : label + ": " + std::string(error);
}

}  // namespace backendctl
