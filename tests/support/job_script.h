// Job programs for the integration tests: /bin/sh scripts in the server's
// temp folder whose first act is to write their pid ($$) beside them, so
// that a test knows the job's process without asking the server. Job
// processes keep the temp folder's path in their command line, so that the
// fixture's clean-up finds them too.
#pragma once

#include <sys/stat.h>

#include <unistd.h>

#include <string>

#include "tests/support/server_fixture.h"

#ifndef NUMBER_PRINTER_BIN
#error "NUMBER_PRINTER_BIN must be defined by the build"
#endif

namespace itest {

struct JobScript {
  std::string name;
  std::string path;     // the executable script
  std::string pidfile;  // where it writes $$
};

// An executable /bin/sh script DIR/NAME.sh whose first act is to write its
// pid to DIR/NAME.pid.
inline JobScript write_script(const Server& s, const std::string& name, const std::string& body) {
  JobScript j{name, s.dir + "/" + name + ".sh", s.dir + "/" + name + ".pid"};
  write_file(j.path, "#!/bin/sh\necho $$ > '" + j.pidfile + "'\n" + body);
  chmod(j.path.c_str(), 0755);
  return j;
}

// A body that runs until signalled. Not `exec sleep`: the script itself
// stays the job's process, with the temp folder in its command line.
inline const char* const kIdle = "while :; do sleep 1; done\n";

// A body that prints 1, 2, 3, ... (tests/support/number_printer.c), one a
// line, zero-padded to `width` digits (0: not padded), `lines_per_write`
// lines in each write(2) and a pause of `interval_us` after each. The
// script execs the printer, which keeps its pid, and passes it its own
// path, which keeps the temp folder in the job's command line.
inline std::string number_printer_body(long interval_us, int lines_per_write, int width) {
  return std::string("exec '") + NUMBER_PRINTER_BIN + "' " + std::to_string(interval_us) + " " +
         std::to_string(lines_per_write) + " " + std::to_string(width) + " \"$0\"\n";
}

// START, then waits until the script has written its pid; 0 on failure.
inline pid_t start_job(const Server& s, const JobScript& j, int timeout_ms = 3000) {
  unlink(j.pidfile.c_str());
  auto r = s.request("START", R"({"jobname":")" + j.name + "\"}");
  if (!ok(r)) {
    ADD_FAILURE() << "START " << j.name << ": " << raw_of(r);
    return 0;
  }
  pid_t pid = 0;
  if (!wait_until([&] { return (pid = read_pidfile(j.pidfile)) > 0; }, timeout_ms, 5)) {
    ADD_FAILURE() << j.name << " did not write its pid within " << timeout_ms << " ms";
    return 0;
  }
  return pid;
}

}  // namespace itest
