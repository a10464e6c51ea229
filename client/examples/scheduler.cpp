// The scheduler plugin: schedules that start a job every 5 minutes, one
// with the original's time fields ({"U": 300}), one with a cron expression
// (an extension); a bad condition is refused with the reason. Shows the
// schedules, disables one, and deletes them with the job.
//   example_scheduler [HOST [PORT]] [--script PATH]
#include "example.h"

using namespace example;

namespace {

const std::string kJob = "example-scheduler";

// SCHEDULER.ADD and the UUID it answers; "" when it failed.
std::string add_schedule(Backend& be, Run& run, const Params& setting) {
  Result r = be.scheduler_add(kJob, setting);
  run.expect(call_text("scheduler_add", {quoted(kJob), setting.json()}), r);
  return r.ok() && r.data().IsString() ? r.data().GetString() : "";
}

void schedule(Backend& be, Run& run) {
  std::string every5 = add_schedule(
      be, run, Params().set("enable", true).set("condition", Params().set("U", 300)));  // every 5 minutes
  std::string cron =
      add_schedule(be, run, Params().set("enable", true).set("condition", Params().set("cron", "*/5 * * * *")));
  // Months are two digits, "01" to "12".
  Params bad = Params().set("enable", true).set("condition", Params().set("m", "1"));
  run.expect(call_text("scheduler_add", {quoted(kJob), bad.json()}), be.scheduler_add(kJob, bad), Code::kFailed);
  run.expect(call_text("scheduler_getall", {}), be.scheduler_getall());
  if (!run.check(!every5.empty() && !cron.empty(), "a schedule was not added")) return;

  Params off = Params().set("enable", false);
  run.expect(call_text("scheduler_update", {quoted(kJob), quoted(every5), off.json()}),
             be.scheduler_update(kJob, every5, off));
  run.expect(call_text("scheduler_get", {quoted(kJob), quoted(every5)}), be.scheduler_get(kJob, every5));
  // Start times of its last runs: none yet, unless a 5-minute mark passed.
  run.expect(call_text("scheduler_getlog", {quoted(kJob), quoted(cron)}), be.scheduler_getlog(kJob, cron));
  run.expect(call_text("scheduler_delete", {quoted(kJob), quoted(every5)}), be.scheduler_delete(kJob, every5));
  // The other goes with the job: DELETE also deletes its schedules.
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  Backend be;
  if (auto status = open(argc, argv, be, args)) return *status;

  Run run;
  if (!add_afresh(be, run, kJob, args.script)) return run.exit_code();
  schedule(be, run);
  clean_up(be, run, kJob);
  // DELETE took the job's schedules with it.
  Result all = be.scheduler_getall();
  run.expect(call_text("scheduler_getall", {}), all);
  run.check(all.ok() && all.data().IsObject() && !all.data().HasMember(kJob.c_str()), "the job's schedules outlived it");
  return run.exit_code();
}
