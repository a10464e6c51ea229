#include "plugins/autostart/autostart_plugin.h"

#include "plugins/settings_block.h"
#include "worker/common/log.h"

namespace backend::plugins::autostart {
namespace {

class Autostart final : public Plugin {
 public:
  std::optional<std::string> configure(const rapidjson::Value& settings) override {
    return read_settings(settings, {});
  }

  void inited(Host& host) override {
    if (!host.server_start) return;
    for (const auto& job : host.jobs->job_names()) {
      const std::string* settings = host.jobs->settings(job);
      if (!settings || !job_flag(*settings, "autostart") || host.jobs->running(job)) continue;
      host.jobs->start(job, shm::StartReason::kAutostart, [job](Code code, const std::string& error) {
        if (code != Code::kOk) spdlog::warn("autostart: job \"{}\" did not start: {}", job, error);
      });
    }
  }
};

}  // namespace

const PluginInfo& autostart_plugin_info() {
  static const PluginInfo info{"autostart", Side::kSupervisor, {}, [] { return std::unique_ptr<Plugin>(new Autostart); }};
  return info;
}

}  // namespace backend::plugins::autostart
