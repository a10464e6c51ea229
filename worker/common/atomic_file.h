// Files replaced whole or not at all: write a temporary, fsync, rename, fsync
// the folder. A crash at any point leaves the old file or the new one.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace backend::worker {

// Returns the error sentence on failure; the old file is then untouched.
// The file is 0600; with a group, 0640 and readable by that group.
std::optional<std::string> replace_file(const std::string& path, const std::string& content,
                                        std::optional<gid_t> group = std::nullopt);

// Writes all of data, going on after short writes and EINTR.
bool write_all(int fd, std::string_view data);
// The same for pieces written one after the other, with as few writev(2)
// as the system's iovec limit allows.
bool write_all(int fd, std::span<const std::string_view> pieces);

// Opens a log file to append to, made 0644 if missing: -1 with the error
// sentence unless it is a regular file. Opened without waiting: a FIFO put
// where a log file belongs would block open() until a reader came (and
// each write until it read), and with it everything its writer writes.
int open_append_file(const std::string& path, std::string& error);

// Makes a folder and its parents (mkdir -p); false when it is not there after.
bool make_dirs(const std::string& path);

// Reads a whole file; nullopt when it does not exist, error set otherwise.
std::optional<std::string> read_file(const std::string& path, std::string& error);

}  // namespace backend::worker
