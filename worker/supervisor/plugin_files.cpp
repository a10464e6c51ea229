#include "worker/supervisor/plugin_files.h"

#include <cctype>
#include <memory>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "worker/common/atomic_file.h"
#include "worker/common/pool.h"

namespace backend::worker {
namespace {

std::optional<std::string> string_param(const rapidjson::Value& params, const char* key, std::string& out) {
  auto it = params.FindMember(key);
  if (it == params.MemberEnd() || !it->value.IsString()) return std::string(key) + " must be a string";
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return std::nullopt;
}

bool plain_name(const std::string& name) {
  if (name.empty() || name[0] == '.' || name.size() > 128) return false;
  for (char c : name)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

}  // namespace

std::string save_file_request(const std::string& plugin, const std::string& file, const std::string& content) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  for (auto [key, value] : {std::pair{"plugin", &plugin}, {"file", &file}, {"content", &content}}) {
    w.Key(key);
    w.String(value->data(), static_cast<rapidjson::SizeType>(value->size()));
  }
  w.EndObject();
  return std::string(kSaveFileCommand) + " " + sb.GetString();
}

std::optional<std::string> plugin_file_target(const rapidjson::Value& params,
                                              std::span<const plugins::PluginInfo> plugins,
                                              const std::string& data_dir, std::string& path, std::string& content) {
  if (!params.IsObject()) return std::string("params must be an object");
  std::string plugin, file;
  for (auto [key, out] : {std::pair{"plugin", &plugin}, {"file", &file}, {"content", &content}})
    if (auto err = string_param(params, key, *out)) return err;
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
