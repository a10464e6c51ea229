#include "worker/common/context.h"

#include "shm/seqlock.h"

namespace backend::worker {

bool published_config(const shm::Segment& segment, conf::Config& out) {
  const shm::Header& h = segment.header();
  std::string text;
  bool ok = shm::seq_read(h.config_seq, [&] {
    text.assign(h.config, std::min<size_t>(h.config_len, shm::kConfigBytes));
  });
  return ok && !text.empty() && !conf::parse_config(text, "", out);
}

}  // namespace backend::worker
