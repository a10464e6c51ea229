// Job settings of PROTOCOL.md "Job settings": validation, defaults, merging.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace backend::protocol {

// Stored settings, serialised compactly, may take at most this many bytes;
// larger ones are refused with an error.
inline constexpr size_t kMaxSettingsBytes = 16384;

// Builds the stored settings of a new job from ADD's params (which hold
// jobname, command and the settings, flat, with "auth" already removed).
// Fills in defaults (params "", buffersize 20, writelog false), normalises
// PHP-style values ("1" -> true, "30" -> 30) and keeps unknown keys as given.
// Returns the error sentence, naming the key, when something is wrong.
std::optional<std::string> settings_for_add(const rapidjson::Value& params, rapidjson::Document& out);

// A job's settings given as a JSON object without its name (the cluster's
// definition of one): what settings_for_add stores for them under `job`,
// serialised, in `stored`; or the error sentence.
std::optional<std::string> settings_for_put(const std::string& job, std::string_view settings, std::string& stored);

// Merges UPDATE's params into a job's current settings, with the same checks.
// jobname cannot change; the result replaces the old settings whole.
std::optional<std::string> settings_for_update(const rapidjson::Value& params,
                                               const rapidjson::Value& current,
                                               rapidjson::Document& out);

// The cluster a job's stored settings say it is a copy of ("cluster", set
// only by the cluster agent); "" for a job of this host alone.
std::string cluster_of_settings(const rapidjson::Value& settings);

}  // namespace backend::protocol
