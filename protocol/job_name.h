// Job names: 1 to 64 bytes of [A-Za-z0-9_.@-], not "." or "..".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace backend::protocol {

inline constexpr size_t kMaxJobName = 64;

bool is_valid_job_name(std::string_view name);

// A name from a client as it can be read in an error or a log line: its
// first 80 bytes, printable ASCII as it is, quotes and backslashes escaped,
// every other byte as \xNN, "..." when cut.
std::string shown_bytes(std::string_view name);

// Reads params["jobname"]. Returns the name, or sets error to the sentence for
// a FAILED reply: "jobname is required", "jobname must be a string", or
// "jobname \"...\" is not valid: ..." (the bad name shown escaped).
std::optional<std::string_view> job_name_param(const rapidjson::Value& params, std::string& error);

}  // namespace backend::protocol
