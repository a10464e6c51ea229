// Which of the master's children writes to a pipe: how a job whose
// supervisor died while spawning it is found (it came to the master as
// subreaper, and nobody knew its pid yet).
#pragma once

#include <sys/types.h>

namespace backend::master {

// The child of this process whose stdout or stderr is the pipe whose read
// end is read_fd; 0 when there is none.
pid_t child_writing_to(int read_fd);

}  // namespace backend::master
