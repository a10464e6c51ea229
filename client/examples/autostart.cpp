// The autostart plugin: a job with "autostart" is started by the server
// when the server starts, not before.
//   example_autostart [HOST [PORT]] [--script PATH] [--keep]
// Without --keep it adds such a job, shows it is DOWN until the server
// restarts, and deletes it again. With --keep it leaves the job there: restart
// the server, run the example again, and it finds the job UP (then removes it).
#include "example.h"

using namespace example;

namespace {

const std::string kJob = "example-autostart";

// The second run, after a restart: the server must have started the job.
int check_started(Backend& be) {
  Run run;
  std::cout << quoted(kJob) << " exists with autostart on: the server must have started it\n";
  bool up = wait_for([&] { return is_up(be, kJob); }, 5s);
  run.expect(call_text("status", {quoted(kJob)}), be.status(kJob));
  run.check(up, "the job is not UP: was the server restarted since the run with --keep?");
  clean_up(be, run, kJob);
  return run.exit_code();
}

int add_job(Backend& be, const Args& args) {
  Run run;
  if (!run.expect(call_text("add", {quoted(kJob), quoted(args.script)}), be.add(kJob, args.script)))
    return run.exit_code();
  Params setting = Params().set("autostart", true);
  run.expect(call_text("update", {quoted(kJob), setting.json()}), be.update(kJob, setting));
  run.expect(call_text("get", {quoted(kJob)}), be.get(kJob));
  // Nothing starts it before the server starts again.
  run.expect(call_text("status", {quoted(kJob)}), be.status(kJob));
  run.check(!is_up(be, kJob), "the job runs although nothing started it");
  if (args.keep && run.failures() == 0) {
    std::cout << "\nRestart the server, then run this example again: the job will be UP.\n";
    return 0;
  }
  clean_up(be, run, kJob);
  return run.exit_code();
}

bool has_autostart(const Result& get) {
  if (!get.ok() || !get.data().IsObject()) return false;
  auto it = get.data().FindMember("autostart");
  return it != get.data().MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  Backend be;
  if (auto status = open(argc, argv, be, args, true)) return *status;
  if (has_autostart(be.get(kJob))) return check_started(be);
  discard(be, kJob);
  return add_job(be, args);
}
