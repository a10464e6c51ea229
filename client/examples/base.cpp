// The basics: add a job that runs a script and also writes its output to
// log files, start it, read what it printed; then stop and delete it.
//   example_base [HOST [PORT]] [--script PATH]
#include "example.h"

using namespace example;

int main(int argc, char** argv) {
  Args args;
  Backend be;
  if (auto status = open(argc, argv, be, args)) return *status;

  Run run;
  const std::string job = "example-base";
  if (!add_afresh(be, run, job, args.script, Params().set("writelog", true))) return run.exit_code();
  run.expect(call_text("get", {quoted(job)}), be.get(job));
  if (run.expect(call_text("start", {quoted(job)}), be.start(job))) {
    run.expect(call_text("status", {quoted(job)}), be.status(job));
    // The script prints a line a second: a few lines show it runs.
    bool printed = wait_for([&] { return output_of(be, job).find("] 2") != std::string::npos; }, 10s);
    run.expect(call_text("read", {quoted(job)}), be.read(job));
    run.check(printed, "the job printed no third line within 10 s");
    run.expect(call_text("mem", {quoted(job)}), be.mem(job));
  }
  clean_up(be, run, job);
  return run.exit_code();
}
