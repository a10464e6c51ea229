// Job programs for the integration tests: /bin/sh scripts in the server's
// temp folder whose first act is to write their pid ($$) beside them, so
// that a test knows the job's process without asking the server. Job
// processes keep the temp folder's path in their command line, so that the
// fixture's clean-up finds them too.
#pragma once

#include <sys/stat.h>

#include <string>

#include "tests/support/server_fixture.h"

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

}  // namespace itest
