// What every example shares: its arguments, printing a call's result (as
// the PHP examples' print_r did), and the exit status.
//
// Arguments of every example: [HOST [PORT]] [--script PATH]
//   HOST, PORT  the server (default 127.0.0.1 13123)
//   --script    the program the example's job runs (default scripts/test.sh
//               beside this file; scripts/test.php runs through php)
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>
#include <string_view>
#include <thread>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <backend/client.h>

#ifndef EXAMPLES_SCRIPT_DIR
#error "EXAMPLES_SCRIPT_DIR must be defined by the build"
#endif

namespace example {

using backend::client::Backend;
using backend::client::Code;
using backend::client::Params;
using backend::client::Result;
using namespace std::chrono_literals;

struct Args {
  std::string host = "127.0.0.1";
  uint16_t port = 13123;
  std::string script = EXAMPLES_SCRIPT_DIR "/test.sh";
  bool keep = false;  // --keep, where an example accepts it
};

inline bool parse_port(const std::string& text, uint16_t& port) {
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 1 || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

// False (after printing the usage) when the arguments make no sense.
inline bool parse_args(int argc, char** argv, Args& args, bool accepts_keep = false) {
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool option = a.rfind("-", 0) == 0;
    bool ok = true;
    if (a == "--script" && i + 1 < argc)
      args.script = argv[++i];
    else if (a == "--keep" && accepts_keep)
      args.keep = true;
    else if (!option && positional == 0)
      args.host = a;
    else if (!option && positional == 1)
      ok = parse_port(a, args.port);
    else
      ok = false;
    if (!option) ++positional;
    if (!ok) {
      std::cerr << "usage: " << argv[0] << " [HOST [PORT]] [--script PATH]" << (accepts_keep ? " [--keep]" : "")
                << "\n";
      return false;
    }
  }
  return true;
}

inline std::string json_text(const rapidjson::Value& value) {
  rapidjson::StringBuffer out;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(out);
  writer.SetIndent(' ', 2);
  value.Accept(writer);
  return out.GetString();
}

// "name(a, b, c)": how a call is shown before its result.
inline std::string call_text(std::string_view name, const std::vector<std::string>& args) {
  std::string text(name);
  text += '(';
  const char* sep = "";
  for (const auto& a : args) text += sep + a, sep = ", ";
  return text + ')';
}

inline std::string quoted(const std::string& s) { return '"' + s + '"'; }

inline void print_indented(const std::string& text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) std::cout << "    " << line << "\n";
}

inline void print(const std::string& call, const Result& r) {
  std::cout << call << " -> " << r.code_text();
  if (!r.error().empty()) std::cout << ": " << r.error();
  std::cout << "\n";
  if (!r.has_data()) return;
  // READ and SERVERREAD give text: shown as lines, not as one JSON string.
  print_indented(r.data().IsString() ? std::string(r.data().GetString()) : json_text(r.data()));
}

// Counts the calls that did not end as they should; that decides the exit status.
class Run {
 public:
  // Prints the call and its result; false (a failure) unless its code is `want`.
  bool expect(const std::string& call, const Result& r, Code want = Code::kOk) {
    print(call, r);
    if (r.code() == want) return true;
    std::cout << "  ^ expected " << backend::client::code_name(want) << "\n";
    ++failures_;
    return false;
  }
  // A failure that is no call's code (output that never came, ...).
  bool check(bool condition, const std::string& what) {
    if (!condition) {
      std::cout << "FAILED: " << what << "\n";
      ++failures_;
    }
    return condition;
  }
  int exit_code() const { return failures_ == 0 ? 0 : 1; }
  int failures() const { return failures_; }

 private:
  int failures_ = 0;
};

// Polls pred until it holds or timeout passed: jobs print at their own pace.
inline bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(200ms);
  }
  return true;
}

// READ's text, empty when there is none.
inline std::string output_of(Backend& be, const std::string& job) {
  Result r = be.read(job);
  return r.ok() && r.data().IsString() ? r.data().GetString() : std::string();
}

inline bool is_up(Backend& be, const std::string& job) {
  Result r = be.status(job);
  return r.ok() && r.data().IsString() && std::string_view(r.data().GetString()) == "UP";
}

// Removes what an interrupted earlier run may have left, silently, so that
// ADD does not fail with "job exists".
inline void discard(Backend& be, const std::string& job) {
  if (!be.get(job).ok()) return;
  std::cout << "(removing " << quoted(job) << ", left by an earlier run)\n";
  if (is_up(be, job)) be.stop(job);
  be.remove(job);
}

// Stops the job when it runs, then deletes it: what every example ends with.
inline void clean_up(Backend& be, Run& run, const std::string& job) {
  if (is_up(be, job)) run.expect(call_text("stop", {quoted(job)}), be.stop(job));
  run.expect(call_text("delete", {quoted(job)}), be.remove(job));
}

// Ends the example at once when no server answers: every later call would
// only wait for the same timeout.
inline bool reachable(Backend& be, const Args& args) {
  Result r = be.statusall();
  if (r.code() != Code::kTransport) return true;
  std::cout << "no server at " << args.host << ":" << args.port << ": " << r.error() << "\n";
  return false;
}

// Parses the arguments and points `be` at the server: nullopt when the
// example can go on, else the exit status to end with.
inline std::optional<int> open(int argc, char** argv, Backend& be, Args& args, bool accepts_keep = false) {
  if (!parse_args(argc, argv, args, accepts_keep)) return 2;
  be.init(args.host, args.port);
  if (!reachable(be, args)) return 1;
  return std::nullopt;
}

// Adds the example's job afresh (see discard), showing the call.
inline bool add_afresh(Backend& be, Run& run, const std::string& job, const std::string& script,
                    const Params& setting = {}) {
  discard(be, job);
  std::vector<std::string> shown{quoted(job), quoted(script)};
  if (!setting.empty()) shown.push_back(setting.json());
  return run.expect(call_text("add", shown), be.add(job, script, setting));
}

}  // namespace example
