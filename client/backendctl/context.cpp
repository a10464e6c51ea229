#include "context.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "outcome.h"
#include "password.h"

namespace backendctl {

using backend::client::Code;
using backend::client::Result;

Context::Context(GlobalOptions globals) : globals_(std::move(globals)) {}

Context::~Context() = default;

bool Context::color() const {
  static const bool on = isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
  return on;
}

std::string Context::server() const {
  bool v6 = globals_.host.find(':') != std::string::npos;
  return (v6 ? "[" + globals_.host + "]" : globals_.host) + ":" + std::to_string(globals_.port);
}

backend::client::Backend& Context::backend() {
  if (backend_) return *backend_;
  backend::client::Options o;
  o.host = globals_.host;
  o.port = globals_.port;
  if (globals_.timeout) {
    o.call_timeout = *globals_.timeout;
    o.connect_timeout = std::min(o.connect_timeout, *globals_.timeout);
  }
  auto b = std::make_unique<backend::client::Backend>(o);
  if (globals_.user) b->set_auth(*globals_.user, auth_password(*globals_.user));
  backend_ = std::move(b);
  return *backend_;
}

int Context::finish(const Result& r, const HumanView& view) {
  if (json() && !r.raw().empty()) std::cout << r.raw() << "\n" << std::flush;
  if (!r.ok()) {
    std::cerr << failure_line(r.code(), r.error(), server()) << "\n";
    return exit_status(r.code());
  }
  if (!r.error().empty()) std::cerr << "warning: " << r.error() << "\n";
  if (json() || !view) return kExitOk;
  try {
    std::cout << view(r.data()) << std::flush;
  } catch (const BadReply& e) {
    std::cerr << "backendctl: unexpected reply from " << server() << ": " << e.what() << "\n";
    return kExitTransport;
  }
  return kExitOk;
}

}  // namespace backendctl
