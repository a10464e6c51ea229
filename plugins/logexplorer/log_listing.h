// The entries of a log folder, newest first.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace backend::plugins::logexplorer {

enum class EntryKind { kFolder, kFile };

// Names in the open folder dir_fd that are of the kind (folders, or regular
// files); symbolic links, other kinds and dot-files are left out. Newest
// first is by name, descending: log names are dates and hours (YYYYMMDD,
// YYYYMMDDHH.log), so no modification time is needed and an old file that
// was touched keeps its place. dir_fd stays open and owned by the caller.
// None when the folder cannot be read; error then says why.
std::optional<std::vector<std::string>> list_entries(int dir_fd, EntryKind kind, std::string& error);

}  // namespace backend::plugins::logexplorer
