#include "plugins/logcleaner/logcleaner_plugin.h"

#include <memory>

#include "plugins/logcleaner/log_sweep.h"
#include "worker/common/pool.h"
#include "plugins/settings_block.h"
#include "plugins/timer.h"
#include "worker/common/log.h"

namespace backend::plugins::logcleaner {
namespace {

class Logcleaner final : public Plugin {
 public:
  std::optional<std::string> configure(const rapidjson::Value& settings) override {
    uint64_t interval = 3600, expire = 7 * 86400;
    if (auto err = read_settings(settings, {{"clean_interval", &interval, 1, 365 * 86400ull},
                                            {"logfile_expire", &expire, 1, 100 * 365 * 86400ull}}))
      return err;
    bool rearm = interval != interval_;
    interval_ = interval, expire_ = expire;
    if (rearm && timer_) arm();
    return std::nullopt;
  }

  void inited(Host& host) override {
    host_ = &host;
    timer_ = std::make_unique<Timer>(host.loop);
    arm();
  }

  void close() override {
    if (timer_) timer_->close();
  }

 private:
  void arm() { timer_->start(interval_ * 1000, [this] { clean(); }, interval_ * 1000); }

  // One sweep at a time: a slow disk must not pile them up.
  void clean() {
    if (sweeping_) return;
    sweeping_ = true;
    auto result = std::make_shared<SweepResult>();
    std::string root = host_->log_dir;
    time_t older_than = time(nullptr) - time_t(expire_);
    worker::run_in_pool(host_->loop, [result, root, older_than] { *result = sweep_logs(root, older_than); },
                [this, result] {
                  sweeping_ = false;
                  // Counted in shared memory (/metrics): a supervisor's death resets nothing.
                  shm::Header& h = host_->segment->header();
                  h.logcleaner_removed_files.fetch_add(result->files_removed, std::memory_order_relaxed);
                  h.logcleaner_removed_bytes.fetch_add(result->bytes_removed, std::memory_order_relaxed);
                  if (result->files_removed || result->folders_removed)
                    spdlog::info("logcleaner: removed {} log files and {} empty folders", result->files_removed,
                                 result->folders_removed);
                  if (result->errors)
                    spdlog::warn("logcleaner: {} files or folders could not be removed, first: {}", result->errors,
                                 result->first_error);
                });
  }

  uint64_t interval_ = 3600, expire_ = 7 * 86400;
  Host* host_ = nullptr;
  std::unique_ptr<Timer> timer_;
  bool sweeping_ = false;
};

}  // namespace

const PluginInfo& logcleaner_plugin_info() {
  static const PluginInfo info{"logcleaner", Side::kSupervisor, {},
                               [] { return std::unique_ptr<Plugin>(new Logcleaner); }};
  return info;
}

}  // namespace backend::plugins::logcleaner
