// Job parameters split into words the way a POSIX shell splits them, quotes
// and backslashes honoured, and nothing else: no variables, no globs, no
// command separators. The words go to execve, never to a shell.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace backend::worker {

// Returns the words, or nullopt with `error` set ("unterminated quote ...").
std::optional<std::vector<std::string>> split_shell_words(std::string_view text, std::string& error);

}  // namespace backend::worker
