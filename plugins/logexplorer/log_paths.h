// Opening a folder or file under the log folder without ever leaving it.
//
// Every name a client sends must be one plain path component, checked
// before any system call; the walk then opens one component at a time with
// openat(O_NOFOLLOW), so a symbolic link anywhere below the log folder is
// refused rather than followed. (openat2's RESOLVE_BENEATH would do the same
// in one call, but the walk is needed anyway where openat2 is missing or
// filtered, and it names the exact component that was refused.) The log
// folder itself may be a symbolic link: the administrator chose it.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace backend::plugins::logexplorer {

// An owned file descriptor, closed when it goes.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  int release();
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Why a name is not one plain path component (empty, ".", "..", a '/' or NUL
// inside, longer than NAME_MAX); empty when it is one.
std::string component_problem(std::string_view name);

// A client-supplied name as it may appear in an error sentence: quoted,
// printable ASCII kept, other bytes as \xNN, a long name shortened.
std::string shown_name(std::string_view name);

// The folder a command works in, as components under the log folder:
// jobs/NAME for a job (none when NAME is not a valid job name: an empty list
// would mean the log folder itself), server for the server.
std::optional<std::vector<std::string>> job_log_folder(std::string_view job);
std::vector<std::string> server_log_folder();

struct Opened {
  enum class Failure { kNone, kMissing, kRefused, kError };
  Fd fd;
  Failure failure = Failure::kNone;
  std::string error;  // the sentence for a FAILED reply
};

// Opens log_dir/parts... as a folder (open_folder) or the last part as a
// regular file for reading (open_file).
Opened open_folder(const std::string& log_dir, std::span<const std::string> parts);
Opened open_file(const std::string& log_dir, std::span<const std::string> parts);

}  // namespace backend::plugins::logexplorer
