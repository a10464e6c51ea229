// Files of a listener plugin's folder, written by the supervisor: the
// listener may serve as a user (listener_user) that can write nothing, and
// must not be given the auth plugin's users file, which any other process
// of that user could then change. The listener sends a SaveFile over its
// channel (worker/ipc/messages.h); clients cannot, as it is a message kind
// of its own.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <uv.h>

#include "plugins/plugin.h"
#include "worker/ipc/messages.h"

namespace backend::worker {

// Where a request may write: a plain file name in the folder of a plugin
// that runs in the listener. Error sentence when the request is anything
// else; path set otherwise.
std::optional<std::string> plugin_file_target(const SaveFile& save, std::span<const plugins::PluginInfo> plugins,
                                              const std::string& data_dir, std::string& path);

// Replaces the file on libuv's thread pool (0640 and readable by group
// when one is given), then calls done on the loop.
void write_plugin_file(uv_loop_t* loop, std::string path, std::string content, std::optional<gid_t> group,
                       std::function<void(std::optional<std::string> error)> done);

}  // namespace backend::worker
