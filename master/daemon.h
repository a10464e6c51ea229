// Detaching from the terminal the traditional way.
#pragma once

#include <string>

namespace backend::master {

// Double fork and setsid; stdin, stdout and stderr go to /dev/null. Returns
// in the daemon only, with the write end of a pipe on which the original
// process waits: it exits 0 once told the daemon is ready, or prints the
// error it is told and exits 1. So `backend-server --daemon` returns when
// the pidfile is written and the server serves, as init systems expect.
int daemonize();

// Tells the waiting original process how the start went (empty: ready).
void report_start(int fd, const std::string& error);

}  // namespace backend::master
