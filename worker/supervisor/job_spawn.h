// Starting a job's process: its own session and process group, stdin from
// /dev/null, stdout and stderr on pipes, no other fd inherited, and an exec
// failure reported back with its errno instead of a child that silently dies.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace backend::worker {

struct SpawnSpec {
  std::string program;              // path handed to execve
  std::vector<std::string> argv;    // argv[0] included
  std::vector<std::string> env;     // "KEY=value"
  std::string cwd;
  std::optional<uid_t> uid;         // switch user (the server runs as root)
  std::optional<gid_t> gid;
  std::vector<gid_t> groups;        // supplementary groups, looked up before fork
};

struct Spawned {
  pid_t pid = -1;
  int out_fd = -1;  // read ends, close-on-exec and non-blocking
  int err_fd = -1;
  // When the process started, as field 22 of /proc/PID/stat gives it, when
  // the spawn could tell for sure (proc_info.h's start_ticks); else 0.
  uint64_t start_ticks = 0;
};

// Spawns run side by side, one per lane, each lane with its own reserved
// fds and stack. Lane 0 is the caller's own (the supervisor's loop, a
// test); the others are spawn_threads.h's.
inline constexpr int kSpawnLanes = 3;

// Takes the few low fds and the stack that spawning needs (job_spawn.cpp
// says why), for every lane, before the caller opens anything else: the
// child copies every fd below the reserved ones. Done by a lane's first
// spawn if not before; false if they cannot be had, and spawns then take
// glibc's posix_spawn.
bool reserve_spawn_fds();

// The pipes of a job's stdout and stderr, close-on-exec. Opened before the
// job is spawned, so that their read ends can be lent to the master first.
struct JobPipes {
  int out_r = -1, out_w = -1;
  int err_r = -1, err_w = -1;
};
std::optional<std::string> open_job_pipes(JobPipes& pipes);
// Closes whichever of the four are open and marks them closed.
void close_job_pipes(JobPipes& pipes);

// Forks and execs; blocks only until the child has exec'd or failed, as
// libuv's uv_spawn does. Returns the error sentence on failure. The write
// ends of the pipes are closed either way, the read ends too on failure;
// on success they are out.out_fd and out.err_fd, now non-blocking.
std::optional<std::string> spawn_job(const SpawnSpec& spec, JobPipes& pipes, Spawned& out, int lane = 0);
// The same with pipes of its own.
std::optional<std::string> spawn_job(const SpawnSpec& spec, Spawned& out, int lane = 0);

}  // namespace backend::worker
