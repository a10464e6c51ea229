// The guarder plugin: a job with "guard" is started again when it exits
// without a STOP asking for it. The example kills the job's process the way
// a crash would (SIGKILL) and watches the server start it again.
//   example_guarder [HOST [PORT]] [--script PATH]
// The kill is sent from here: the server must run on this machine, as the
// same user (or this one must be root).
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>

#include "example.h"

using namespace example;

namespace {

const std::string kJob = "example-guarder";

// The job's pid from STATUS with "detail" (an extension); 0 when not running.
int64_t pid_of(Backend& be, const std::string& job) {
  Result r = be.status(job, Params().set("detail", true));
  if (!r.ok() || !r.data().IsObject()) return 0;
  auto pid = r.data().FindMember("pid");
  return pid != r.data().MemberEnd() && pid->value.IsInt64() ? pid->value.GetInt64() : 0;
}

// A pid read from the server names a process of this machine only when the
// server runs here: check it runs our script before killing anything.
bool runs_script(int64_t pid, const std::string& script) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string name = script.substr(script.find_last_of('/') + 1);
  return cmdline.find(name) != std::string::npos;
}

// The job's pid once its process runs the script (the exec follows the fork
// a moment later); 0 when that did not happen within 5 s.
int64_t script_pid(Backend& be, Run& run, const std::string& script) {
  int64_t pid = 0;
  if (wait_for([&] { return (pid = pid_of(be, kJob)) > 0 && runs_script(pid, script); }, 5s)) return pid;
  run.check(false, pid == 0 ? "the job has no pid"
                            : "process " + std::to_string(pid) +
                                  " does not run the script here: is the server on another machine?");
  return 0;
}

bool crash(Run& run, int64_t pid) {
  std::cout << "kill -KILL " << pid << "  (a crash: no STOP asked for it)\n";
  return run.check(kill(static_cast<pid_t>(pid), SIGKILL) == 0, std::string("kill: ") + std::strerror(errno));
}

void guard_and_crash(Backend& be, Run& run, const Args& args) {
  Params guard = Params().set("guard", true);
  run.expect(call_text("update", {quoted(kJob), guard.json()}), be.update(kJob, guard));
  if (!run.expect(call_text("start", {quoted(kJob)}), be.start(kJob))) return;
  int64_t pid = script_pid(be, run, args.script);
  if (pid == 0 || !crash(run, pid)) return;
  // The guarder starts it again at once; later exits back off.
  bool again = wait_for([&] { int64_t now = pid_of(be, kJob); return now > 0 && now != pid; }, 10s);
  run.check(again, "the guarder did not start the job again within 10 s");
  run.expect(call_text("status", {quoted(kJob), R"({"detail":true})"}),
             be.status(kJob, Params().set("detail", true)));
  // A new run, a new output buffer: the exit is in the server's output.
  wait_for([&] { return output_of(be, kJob).find("] 1") != std::string::npos; }, 5s);
  run.expect(call_text("read", {quoted(kJob)}), be.read(kJob));
  run.expect(call_text("serverread", {}), be.serverread());
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  Backend be;
  if (auto status = open(argc, argv, be, args)) return *status;

  Run run;
  if (!add_afresh(be, run, kJob, args.script, Params().set("writelog", true))) return run.exit_code();
  guard_and_crash(be, run, args);
  // STOP is asked for: the guarder leaves the job down.
  clean_up(be, run, kJob);
  return run.exit_code();
}
