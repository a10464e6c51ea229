// Files of a listener plugin's folder, written by the supervisor: the
// listener may serve as a user (listener_user) that can write nothing, and
// must not be given the auth plugin's users file, which any other process
// of that user could then change. The listener sends PLUGIN.SAVEFILE over
// its channel; clients cannot, as no command table names it.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <uv.h>

#include "plugins/plugin.h"

namespace backend::worker {

inline constexpr std::string_view kSaveFileCommand = "PLUGIN.SAVEFILE";

// The request body the listener sends.
std::string save_file_request(const std::string& plugin, const std::string& file, const std::string& content);

// Where a request may write: a plain file name in the folder of a plugin
// that runs in the listener. Error sentence when the request is anything
// else; path and content set otherwise.
std::optional<std::string> plugin_file_target(const rapidjson::Value& params,
                                              std::span<const plugins::PluginInfo> plugins,
                                              const std::string& data_dir, std::string& path, std::string& content);

// Replaces the file on libuv's thread pool (0640 and readable by group
// when one is given), then calls done on the loop.
void write_plugin_file(uv_loop_t* loop, std::string path, std::string content, std::optional<gid_t> group,
                       std::function<void(std::optional<std::string> error)> done);

}  // namespace backend::worker
