#include "worker/supervisor/plugin_files.h"

#include <cctype>
#include <memory>

#include "worker/common/atomic_file.h"
#include "worker/common/pool.h"

namespace backend::worker {
namespace {

bool plain_name(const std::string& name) {
  if (name.empty() || name[0] == '.' || name.size() > 128) return false;
  for (char c : name)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

}  // namespace

std::optional<std::string> plugin_file_target(const SaveFile& save, std::span<const plugins::PluginInfo> plugins,
                                              const std::string& data_dir, std::string& path) {
  const std::string& plugin = save.plugin;
  const std::string& file = save.file;
  bool listener_side = false;
  for (const plugins::PluginInfo& info : plugins)
    listener_side |= info.name == plugin && info.side == plugins::Side::kListener;
  if (!listener_side) return "\"" + plugin + "\" is no plugin of the listener";
  if (!plain_name(file)) return "\"" + file + "\" is no plain file name";
  path = data_dir + "/plugins/" + plugin + "/" + file;
  return std::nullopt;
}

void write_plugin_file(uv_loop_t* loop, std::string path, std::string content, std::optional<gid_t> group,
                       std::function<void(std::optional<std::string> error)> done) {
  auto error = std::make_shared<std::optional<std::string>>();
  run_in_pool(
      loop, [path = std::move(path), content = std::move(content), group, error] {
        *error = replace_file(path, content, group);
      },
      [error, done = std::move(done)] { done(std::move(*error)); });
}

}  // namespace backend::worker
