// A job's output: read, and read -f, which follows it.
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <iostream>
#include <thread>

#include "commands.h"
#include "outcome.h"
#include "views.h"

namespace backendctl {
namespace {

using backend::client::Params;

constexpr auto kPollInterval = std::chrono::milliseconds(200);

// Ctrl-C is how a follow ends: exit 0. Everything printed is already
// flushed, so there is nothing left to do but leave.
extern "C" void interrupted(int) { _exit(kExitOk); }

struct Batch {
  std::vector<std::string> lines;
  uint64_t next = 0;
};

Batch parse_batch(const rapidjson::Value& data) {
  static const char* kShape =
      "READ with since did not answer {\"lines\": [...], \"next\": N} (a server too old to follow?)";
  if (!data.IsObject()) throw BadReply(kShape);
  auto lines = data.FindMember("lines");
  auto next = data.FindMember("next");
  if (lines == data.MemberEnd() || next == data.MemberEnd() || !lines->value.IsArray() || !next->value.IsUint64())
    throw BadReply(kShape);
  Batch b;
  b.next = next->value.GetUint64();
  for (const auto& l : lines->value.GetArray()) {
    if (!l.IsString()) throw BadReply("a line is not a string");
    b.lines.emplace_back(l.GetString(), l.GetStringLength());
  }
  return b;
}

// Lines that were dropped from the buffer before this client asked for
// them: said on stderr, so that a gap in the output is never silent.
void note_gap(uint64_t since, const Batch& b) {
  if (b.next <= since || b.next - since <= b.lines.size()) return;
  std::cerr << "backendctl: " << (b.next - since - b.lines.size()) << " lines were missed\n";
}

int follow(Context& ctx, const std::string& job) {
  std::signal(SIGINT, interrupted);
  uint64_t since = 0;
  for (bool first = true;; first = false) {
    auto r = ctx.backend().read(job, Params().set("since", static_cast<int64_t>(since)));
    if (!r.ok()) return ctx.finish(r);
    Batch b;
    try {
      b = parse_batch(r.data());
    } catch (const BadReply& e) {
      std::cerr << "backendctl: unexpected reply from " << ctx.server() << ": " << e.what() << "\n";
      return kExitTransport;
    }
    if (!first) note_gap(since, b);
    if (ctx.json()) {
      std::cout << r.raw() << "\n";
    } else {
      for (const auto& l : b.lines) std::cout << l << "\n";
    }
    std::cout << std::flush;
    since = b.next;
    std::this_thread::sleep_for(kPollInterval);
  }
}

int read(Context& ctx, const ParsedArgs& a) {
  if (a.has("follow")) return follow(ctx, a.positionals[0]);
  return ctx.finish(ctx.backend().read(a.positionals[0]), [](const rapidjson::Value& d) {
    if (!d.IsString()) throw BadReply("the output is not a string");
    return as_lines(std::string(d.GetString(), d.GetStringLength()));
  });
}

constexpr std::string_view kReadDetails =
    "Prints the lines in the job's output buffer (its last `buffersize` lines),\n"
    "each as the server keeps it: \"[yy-mm-dd HH:MM:SS] text\".\n"
    "\n"
    "Options:\n"
    "  -f, --follow   print the buffer, then new lines as they come (polled every\n"
    "                 200 ms) until Ctrl-C (exit 0) or the connection fails; with\n"
    "                 --json, every reply on a line of its own\n";

}  // namespace

std::vector<Command> output_commands() {
  return {
      {"read",
       "NAME [-f]",
       "Prints a job's recent output; -f follows it.",
       kReadDetails,
       {{"follow", 'f', false}},
       1,
       1,
       read},
  };
}

}  // namespace backendctl
