// What the master hands the new binary it starts in its own place on
// SIGUSR2 (an upgrade in place, as nginx does on USR2): the open files the
// server lives on, by number, and the jobs' pipes it holds. One typed,
// versioned message: a new binary that does not know the version it is
// handed refuses it at once, and the old one serves on. It travels in a
// memfd that the exec keeps open, named by BACKEND_UPGRADE_STATE.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace backend::master {

struct UpgradeState {
  static constexpr uint32_t kVersion = 1;
  static constexpr const char* kEnv = "BACKEND_UPGRADE_STATE";

  uint32_t version = kVersion;
  std::string from_version;  // the old binary's server_version()
  int pidfile_fd = -1;
  int listen_fd = -1;
  int http_fd = -1;  // -1: no HTTP face
  int unix_fd = -1;  // -1: no Unix socket
  uint64_t unix_inode = 0;
  // A job whose pipes the master holds (HeldJobs), by pid.
  struct Held {
    pid_t pid = 0;
    uint32_t slot = 0;
    uint64_t ticks = 0;
    std::vector<int> fds;
    bool exited = false;
    int status = 0;
    std::string orphan;
    bool operator==(const Held&) const = default;
  };
  std::vector<Held> held;

  // Every fd the state names, to keep open across the exec.
  std::vector<int> fds() const;
  bool operator==(const UpgradeState&) const = default;
};

std::string encode_upgrade_state(const UpgradeState& state);
// Nullopt, or the sentence that says why the text is no state this binary
// can take.
std::optional<std::string> decode_upgrade_state(std::string_view text, UpgradeState& out);

// A memfd holding the encoded state, open across exec (not close-on-exec):
// its number, or -1 with `error` set.
int upgrade_state_file(const UpgradeState& state, std::string& error);
// Reads the state from that fd and closes it.
std::optional<std::string> read_upgrade_state(int fd, UpgradeState& out);

}  // namespace backend::master
