#include "plugins/logexplorer/log_paths.h"

#include <climits>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/job_name.h"

namespace backend::plugins::logexplorer {

namespace {

using Failure = Opened::Failure;

Opened failed(Failure failure, std::string error) {
  Opened out;
  out.failure = failure;
  out.error = std::move(error);
  return out;
}

std::string joined(std::span<const std::string> parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

// The sentence for a component that could not be opened. ENOTDIR is looked
// at again because O_DIRECTORY|O_NOFOLLOW on a symbolic link gives ENOTDIR,
// not ELOOP, and the user should learn which it was.
Opened open_failure(int dir_fd, std::span<const std::string> parts, size_t i, int err) {
  std::string where = "log path " + shown_name(joined(parts.first(i + 1)));
  struct stat st {};
  bool is_link = err == ELOOP ||
                 (err == ENOTDIR && fstatat(dir_fd, parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                  S_ISLNK(st.st_mode));
  if (is_link) return failed(Failure::kRefused, where + " is a symbolic link");
  if (err == ENOTDIR) return failed(Failure::kRefused, where + " is not a folder");
  if (err == ENOENT) {
    return failed(Failure::kMissing, "log path " + shown_name(joined(parts)) + " does not exist");
  }
  return failed(Failure::kError, where + " cannot be opened: " + std::generic_category().message(err));
}

Opened walk(const std::string& log_dir, std::span<const std::string> parts, bool last_is_file) {
  for (const auto& p : parts) {
    std::string problem = component_problem(p);
    if (!problem.empty()) return failed(Failure::kRefused, shown_name(p) + " is not valid: " + problem);
  }
  Fd dir(::open(log_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) {
    int err = errno;
    return failed(err == ENOENT ? Failure::kMissing : Failure::kError,
                  "the log folder " + shown_name(log_dir) + " cannot be opened: " +
                      std::generic_category().message(err));
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    bool file = last_is_file && i + 1 == parts.size();
    // O_NONBLOCK: opening a FIFO someone left there must not hang the pool.
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (file ? O_NONBLOCK | O_NOCTTY : O_DIRECTORY);
    Fd next(::openat(dir.get(), parts[i].c_str(), flags));
    if (!next) return open_failure(dir.get(), parts, i, errno);
    dir = std::move(next);
  }
  Opened out;
  out.fd = std::move(dir);
  return out;
}

}  // namespace

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

int Fd::release() { return std::exchange(fd_, -1); }

std::string component_problem(std::string_view name) {
  if (name.empty()) return "it is empty";
  if (name == "." || name == "..") return "it is \".\" or \"..\"";
  if (name.find('/') != std::string_view::npos) return "it contains \"/\"";
  if (name.find('\0') != std::string_view::npos) return "it contains a NUL byte";
  if (name.size() > NAME_MAX) return "it is longer than " + std::to_string(NAME_MAX) + " bytes";
  return {};
}

std::string shown_name(std::string_view name) { return "\"" + protocol::shown_bytes(name) + "\""; }

std::optional<std::vector<std::string>> job_log_folder(std::string_view job) {
  if (!protocol::is_valid_job_name(job)) return std::nullopt;
  return std::vector<std::string>{"jobs", std::string(job)};
}

std::vector<std::string> server_log_folder() { return {"server"}; }

Opened open_folder(const std::string& log_dir, std::span<const std::string> parts) {
  return walk(log_dir, parts, false);
}

Opened open_file(const std::string& log_dir, std::span<const std::string> parts) {
  if (parts.empty()) return failed(Failure::kRefused, "no file name given");
  Opened out = walk(log_dir, parts, true);
  if (!out.fd) return out;
  struct stat st {};
  if (fstat(out.fd.get(), &st) != 0) {
    int err = errno;
    return failed(Failure::kError, "log path " + shown_name(joined(parts)) +
                                       " cannot be read: " + std::generic_category().message(err));
  }
  if (!S_ISREG(st.st_mode)) {
    return failed(Failure::kRefused, "log path " + shown_name(joined(parts)) + " is not a regular file");
  }
  return out;
}

}  // namespace backend::plugins::logexplorer
