#include "worker/common/context.h"

#include "shm/seqlock.h"
#include "worker/common/log.h"
#include "worker/common/plugin_host.h"
#include "worker/common/server_log.h"

namespace backend::worker {

bool published_config(const shm::Segment& segment, conf::Config& out) {
  const shm::Header& h = segment.header();
  std::string text;
  bool ok = shm::seq_read(h.config_seq, [&] {
    text.assign(h.config, std::min<size_t>(h.config_len, shm::kConfigBytes));
  });
  return ok && !text.empty() && !conf::parse_config(text, "", out);
}

bool apply_published_config(WorkerContext& ctx, PluginHost& plugins, std::string_view worker) {
  conf::Config next;
  if (!published_config(*ctx.segment, next)) {
    spdlog::error("{}: the reloaded config could not be read; keeping the old one", worker);
    return false;
  }
  ctx.config = next;
  log_set_level(next.log_level);
  log_set_timezone(next.timezone);
  plugins.reconfigure(next);
  return true;
}

}  // namespace backend::worker
