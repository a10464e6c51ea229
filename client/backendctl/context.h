// What every command works with: the global options, the connection
// (opened on first use, after the password is known), and the one way a
// result is printed and turned into an exit status.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "backend/client.h"
#include "globals.h"

namespace backendctl {

// Turns an OK reply's data into the text printed on stdout.
using HumanView = std::function<std::string(const rapidjson::Value& data)>;

class Context {
 public:
  explicit Context(GlobalOptions globals);
  ~Context();

  const GlobalOptions& globals() const { return globals_; }
  bool json() const { return globals_.json; }
  // Colour only on a terminal, and never when NO_COLOR is set (no-color.org).
  bool color() const;
  std::string server() const;  // "HOST:PORT"

  // Asks for the auth password on first use, when there is an auth user.
  backend::client::Backend& backend();

  // With --json the raw reply and a newline; otherwise, on OK, the text of
  // `view` (nothing without one). A warning on an OK reply, or the failure,
  // goes to stderr. Returns the exit status.
  int finish(const backend::client::Result& r, const HumanView& view = {});

 private:
  GlobalOptions globals_;
  std::unique_ptr<backend::client::Backend> backend_;
};

}  // namespace backendctl
