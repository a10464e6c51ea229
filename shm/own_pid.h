// This process's pid, asked of the kernel once per process instead of at
// every lock and every log line: glibc's getpid() is a system call, about
// 1 us on a virtual machine, and the path from a job's crash to its restart
// took a dozen of them.
#pragma once

#include <sys/types.h>

namespace backend::shm {

// Right in a child made by fork() (a pthread_atfork handler forgets the
// parent's). A child made by a raw clone() must not call it: it would get
// its parent's pid.
pid_t own_pid();

}  // namespace backend::shm
