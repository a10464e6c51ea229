// Detaching from the terminal the traditional way.
#pragma once

namespace backend::master {

// Double fork and setsid; stdin, stdout and stderr go to /dev/null. Returns
// in the daemon only; the original process exits 0.
void daemonize();

}  // namespace backend::master
