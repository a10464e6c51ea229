#include "worker/common/plugin_host.h"

#include <algorithm>

#include <rapidjson/document.h>

#include "worker/common/atomic_file.h"
#include "worker/common/log.h"

namespace backend::worker {
namespace {

using plugins::PluginInfo;

const PluginInfo* by_name(std::span<const PluginInfo> all, std::string_view name) {
  for (const auto& info : all)
    if (info.name == name) return &info;
  return nullptr;
}

// The plugin that is the cluster agent: its settings are the config's own
// "cluster" block (conf/cluster_config.h), and a config with that block
// loads it whatever autoload_plugins says.
constexpr std::string_view kClusterPlugin = "cluster";

std::optional<std::string> select(std::span<const PluginInfo> all, const conf::Config& config,
                                  std::vector<const PluginInfo*>& out) {
  out.clear();
  for (const auto& name : config.autoload_plugins) {
    if (name == "*") {
      out.clear();
      for (const auto& info : all) out.push_back(&info);
      return std::nullopt;
    }
    const PluginInfo* info = by_name(all, name);
    if (!info) return "autoload_plugins names \"" + name + "\", which is not a plugin";
    if (std::find(out.begin(), out.end(), info) == out.end()) out.push_back(info);
  }
  const PluginInfo* cluster = by_name(all, kClusterPlugin);
  if (config.cluster.enabled && cluster && std::find(out.begin(), out.end(), cluster) == out.end())
    out.push_back(cluster);
  return std::nullopt;
}

std::optional<std::string> configure(plugins::Plugin& plugin, const PluginInfo& info, const conf::Config& config) {
  rapidjson::Document block;
  if (info.name == kClusterPlugin) {
    block.Parse(conf::cluster_config_to_json(config.cluster).c_str());
    if (auto err = plugin.configure(block)) return "cluster: " + *err;
    return std::nullopt;
  }
  auto it = config.plugin_settings.find(std::string(info.name));
  block.Parse(it == config.plugin_settings.end() ? "{}" : it->second.c_str());
  if (auto err = plugin.configure(block)) return "plugin_settings of \"" + std::string(info.name) + "\": " + *err;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> PluginHost::check(std::span<const PluginInfo> all, const conf::Config& config) {
  for (const auto& [name, block] : config.plugin_settings) {
    if (!by_name(all, name)) return "plugin_settings names \"" + name + "\", which is not a plugin";
    if (name == kClusterPlugin) return std::string("the cluster's settings are the top-level \"cluster\" block, not plugin_settings");
  }
  std::vector<const PluginInfo*> selected;
  if (auto err = select(all, config, selected)) return err;
  for (const PluginInfo* info : selected)
    if (auto err = configure(*info->make(), *info, config)) return err;
  return std::nullopt;
}

PluginHost::PluginHost(std::span<const PluginInfo> all, plugins::Side side) : all_(all), side_(side) {}

PluginHost::~PluginHost() = default;

std::optional<std::string> PluginHost::load(const conf::Config& config) {
  if (auto err = select(all_, config, selected_)) return err;
  for (const PluginInfo* info : selected_) {
    if (info->side != side_) {
      commands_.add(*info, nullptr);
      continue;
    }
    Loaded loaded{info, info->make(), std::make_unique<plugins::Host>()};
    if (auto err = configure(*loaded.plugin, *info, config)) return err;
    commands_.add(*info, loaded.plugin.get());
    mine_.push_back(std::move(loaded));
  }
  return std::nullopt;
}

void PluginHost::reconfigure(const conf::Config& config) {
  for (auto& l : mine_)
    if (auto err = configure(*l.plugin, *l.info, config)) spdlog::error("{}; keeping the old settings", *err);
}

void PluginHost::inited(const plugins::Host& base, SaveAny save_any) {
  for (auto& l : mine_) {
    *l.host = base;
    l.host->data_dir = base.data_dir + "/" + std::string(l.info->name);
    if (save_any)
      l.host->save_file = [save_any, name = std::string(l.info->name)](const std::string& file, std::string content,
                                                                       plugins::Host::Saved saved) {
        save_any(name, file, std::move(content), std::move(saved));
      };
    if (!make_dirs(l.host->data_dir)) spdlog::error("plugin {}: cannot create {}", l.info->name, l.host->data_dir);
    l.plugin->inited(*l.host);
  }
}

plugins::Verdict PluginHost::received(std::string_view command, const rapidjson::Value& params) {
  for (auto& l : mine_) {
    plugins::Verdict verdict = l.plugin->received(command, params);
    if (verdict.refusal || verdict.later) return verdict;
  }
  return {};
}

void PluginHost::finished(std::string_view command, const rapidjson::Value& params, plugins::Code code) {
  for (auto& l : mine_) l.plugin->finished(command, params, code);
}

void PluginHost::job_exited(const plugins::JobExit& exit) {
  for (auto& l : mine_) l.plugin->job_exited(exit);
}

void PluginHost::stopped(std::function<void()> done) { stopped_from(0, std::move(done)); }

void PluginHost::stopped_from(size_t i, std::function<void()> done) {
  if (i >= mine_.size()) return done();
  mine_[i].plugin->stopped([this, i, done = std::move(done)]() mutable { stopped_from(i + 1, std::move(done)); });
}

void PluginHost::close() {
  for (auto& l : mine_) l.plugin->close();
}

}  // namespace backend::worker
