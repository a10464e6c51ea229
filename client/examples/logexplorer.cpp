// The logexplorer plugin: a job with "writelog" runs for a few seconds,
// then its log folders and files are listed and the newest log read; the
// same for the server's own logs.
//   example_logexplorer [HOST [PORT]] [--script PATH]
// The job's logs stay when it is deleted (logcleaner removes old ones).
#include <vector>

#include "example.h"

using namespace example;

namespace {

const std::string kJob = "example-logexplorer";

std::vector<std::string> strings_of(const Result& r) {
  std::vector<std::string> out;
  if (r.ok() && r.data().IsArray())
    for (const auto& v : r.data().GetArray())
      if (v.IsString()) out.emplace_back(v.GetString());
  return out;
}

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Lists every folder and its files, as the original example did; returns
// the newest stdout log (folders and files come newest first).
std::pair<std::string, std::string> list_job_logs(Backend& be, Run& run) {
  Result dirs = be.logexplorer_listdir(kJob);
  run.expect(call_text("logexplorer_listdir", {quoted(kJob)}), dirs);
  std::pair<std::string, std::string> newest;
  for (const auto& dir : strings_of(dirs)) {
    std::cout << "* " << dir << "\n";
    Result files = be.logexplorer_listfile(kJob, dir);
    if (!files.ok()) run.expect(call_text("logexplorer_listfile", {quoted(kJob), quoted(dir)}), files);
    for (const auto& file : strings_of(files)) {
      std::cout << "  - " << file << "\n";
      if (newest.first.empty() && !ends_with(file, ".error.log")) newest = {dir, file};
    }
  }
  return newest;
}

void show_job_logs(Backend& be, Run& run) {
  auto [dir, file] = list_job_logs(be, run);
  if (!run.check(!file.empty(), "the job has no log file")) return;
  Result log = be.logexplorer_get(kJob, dir, file);
  run.expect(call_text("logexplorer_get", {quoted(kJob), quoted(dir), quoted(file)}), log);
  run.check(log.ok() && log.data().IsString() && std::string_view(log.data().GetString()).find("] 1") !=
                                                     std::string_view::npos,
            "the log lacks the job's output");
}

// The server's newest log, only its last bytes: it may be long.
void show_server_log(Backend& be, Run& run) {
  Result dirs = be.logexplorer_serverlistdir();
  run.expect(call_text("logexplorer_serverlistdir", {}), dirs);
  auto dir_names = strings_of(dirs);
  if (!run.check(!dir_names.empty(), "the server has no log folder")) return;
  Result files = be.logexplorer_serverlistfile(dir_names.front());
  run.expect(call_text("logexplorer_serverlistfile", {quoted(dir_names.front())}), files);
  auto file_names = strings_of(files);
  if (!run.check(!file_names.empty(), "the server's log folder is empty")) return;
  // offset and length (extensions) read a part: here the first 400 bytes.
  Params part = Params().set("offset", 0).set("length", 400);
  run.expect(call_text("logexplorer_serverget", {quoted(dir_names.front()), quoted(file_names.front()), part.json()}),
             be.logexplorer_serverget(dir_names.front(), file_names.front(), part));
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  Backend be;
  if (auto status = open(argc, argv, be, args)) return *status;

  Run run;
  if (!add_afresh(be, run, kJob, args.script, Params().set("writelog", true))) return run.exit_code();
  if (run.expect(call_text("start", {quoted(kJob)}), be.start(kJob))) {
    std::cout << "(letting it print a few lines)\n";
    bool printed = wait_for([&] { return output_of(be, kJob).find("] 2") != std::string::npos; }, 10s);
    run.check(printed, "the job printed no third line within 10 s");
    run.expect(call_text("stop", {quoted(kJob)}), be.stop(kJob));
    show_job_logs(be, run);
    show_server_log(be, run);
  }
  clean_up(be, run, kJob);
  return run.exit_code();
}
