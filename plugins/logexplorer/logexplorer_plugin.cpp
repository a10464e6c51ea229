#include "plugins/logexplorer/logexplorer_plugin.h"

#include <memory>
#include <utility>

#include "plugins/logexplorer/answer.h"
#include "plugins/logexplorer/request.h"
#include "worker/common/pool.h"

namespace backend::plugins::logexplorer {

namespace {

std::unique_ptr<Plugin> make() { return std::make_unique<LogExplorerPlugin>(); }

}  // namespace

std::optional<std::string> LogExplorerPlugin::configure(const rapidjson::Value& settings) {
  std::string error;
  auto parsed = parse_settings(settings, error);
  if (!parsed) return error;
  settings_ = *parsed;
  return std::nullopt;
}

void LogExplorerPlugin::inited(Host& host) {
  loop_ = host.loop;
  log_dir_ = host.log_dir;
}

std::span<const CommandSpec> LogExplorerPlugin::commands() {
  using enum Verb;
  // Read-only: none changes state.
  static constexpr CommandSpec kCommands[] = {
      {"LOGEXPLORER.LISTDIR", true, false, handler<&LogExplorerPlugin::serve<kListDir, true>>},
      {"LOGEXPLORER.LISTFILE", true, false, handler<&LogExplorerPlugin::serve<kListFile, true>>},
      {"LOGEXPLORER.GET", true, false, handler<&LogExplorerPlugin::serve<kGet, true>>},
      {"LOGEXPLORER.SERVERLISTDIR", false, false, handler<&LogExplorerPlugin::serve<kListDir, false>>},
      {"LOGEXPLORER.SERVERLISTFILE", false, false, handler<&LogExplorerPlugin::serve<kListFile, false>>},
      {"LOGEXPLORER.SERVERGET", false, false, handler<&LogExplorerPlugin::serve<kGet, false>>},
  };
  return kCommands;
}

template <Verb verb, bool job>
void LogExplorerPlugin::serve(const rapidjson::Value& params, Done done) {
  serve(Target{verb, job}, params, std::move(done));
}

void LogExplorerPlugin::serve(Target target, const rapidjson::Value& params, Done done) {
  std::string error;
  auto request = parse_request(target, params, error);
  if (!request) {
    done({Code::kFailed, {}, std::move(error)});
    return;
  }
  // The work holds copies only: the plugin may be reconfigured, or gone,
  // before the pool gets to it.
  auto reply = std::make_shared<Reply>();
  auto work = [reply, request = std::move(*request), log_dir = log_dir_, max = settings_.max_bytes] {
    *reply = answer(request, log_dir, max);
  };
  auto after = [reply, done = std::move(done)] { done(std::move(*reply)); };
  if (!loop_) {
    // Not inited: no loop to come back to, so the caller gets it at once.
    work();
    after();
    return;
  }
  worker::run_in_pool(loop_, std::move(work), std::move(after));
}

const PluginInfo& logexplorer_plugin_info() {
  static const PluginInfo info{"logexplorer", Side::kListener, LogExplorerPlugin::commands(), &make};
  return info;
}

}  // namespace backend::plugins::logexplorer
