// How a call's result becomes an exit status and a line on stderr.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "backend/client.h"

namespace backendctl {

enum ExitStatus : int {
  kExitOk = 0,
  kExitFailed = 1,
  kExitDenied = 2,
  kExitUnknown = 3,
  kExitTransport = 4,  // no usable reply: no connection, or a reply of the wrong shape
  kExitUsage = 64,     // EX_USAGE of sysexits.h
};

int exit_status(backend::client::Code code);

// The stderr line of a result that is not OK: "FAILED: job "x" does not
// exist" ("FAILED" alone without a sentence); for a transport error
// "backendctl: HOST:PORT: why", the address only once when `why` names it
// already. `server` is "HOST:PORT".
std::string failure_line(backend::client::Code code, std::string_view error, std::string_view server);

}  // namespace backendctl

namespace backendctl {

// A reply whose data has not the shape the command expects (exit status
// kExitTransport: it is no usable reply).
class BadReply : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace backendctl
