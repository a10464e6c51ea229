#include "plugins/cluster/placement.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace backend::plugins::cluster {

namespace {

constexpr std::string_view kHostPrefix = "host:";
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

uint64_t fnv1a(uint64_t h, std::string_view bytes) {
  for (char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
  return h;
}

uint64_t fmix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

bool host_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace

bool valid_host_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxHostIdLength && std::all_of(id.begin(), id.end(), host_id_char);
}

std::optional<std::string> parse_placement(std::string_view text, Placement& out) {
  if (text.empty() || text == "any") {
    out = Placement{};
    return std::nullopt;
  }
  if (text == "all") {
    out = Placement{Placement::Kind::kAll, {}};
    return std::nullopt;
  }
  if (text.starts_with(kHostPrefix)) {
    std::string_view id = text.substr(kHostPrefix.size());
    if (id.empty()) return "placement " + quoted(text) + " names no host: write \"host:<id>\"";
    if (!valid_host_id(id))
      return "placement " + quoted(text) + " has a host id that is not 1 to " + std::to_string(kMaxHostIdLength) +
             " characters of letters, digits, '.', '_' and '-'";
    out = Placement{Placement::Kind::kHost, std::string(id)};
    return std::nullopt;
  }
  return "placement " + quoted(text) + " is not \"any\", \"all\" or \"host:<id>\"";
}

std::string placement_text(const Placement& placement) {
  switch (placement.kind) {
    case Placement::Kind::kAny:
      return "any";
    case Placement::Kind::kAll:
      return "all";
    case Placement::Kind::kHost:
      return std::string(kHostPrefix) + placement.host;
  }
  return "any";
}

bool labels_match(const Labels& host_labels, const Labels& selector) {
  return std::all_of(selector.begin(), selector.end(), [&](const auto& want) {
    auto it = host_labels.find(want.first);
    return it != host_labels.end() && it->second == want.second;
  });
}

uint64_t rendezvous_weight(std::string_view job, std::string_view host) {
  uint64_t h = fnv1a(kFnvOffset, job);
  h = fnv1a(h, std::string_view("\0", 1));
  return fmix64(fnv1a(h, host));
}

std::vector<std::string> rank_hosts(std::string_view job, std::span<const Candidate> live_hosts,
                                    const Labels& selector) {
  std::vector<std::pair<uint64_t, const std::string*>> ranked;
  ranked.reserve(live_hosts.size());
  for (const Candidate& c : live_hosts)
    if (labels_match(c.labels, selector)) ranked.emplace_back(rendezvous_weight(job, c.id), &c.id);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return *a.second < *b.second;
  });
  // A duplicate id has the same weight, so it sorts next to its twin.
  auto last =
      std::unique(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return *a.second == *b.second; });
  std::vector<std::string> ids;
  ids.reserve(last - ranked.begin());
  for (auto it = ranked.begin(); it != last; ++it) ids.push_back(*it->second);
  return ids;
}

std::optional<size_t> rank_of(std::string_view job, std::string_view self, std::span<const Candidate> live_hosts,
                              const Labels& selector) {
  std::vector<std::string> ranked = rank_hosts(job, live_hosts, selector);
  auto it = std::find(ranked.begin(), ranked.end(), self);
  if (it == ranked.end()) return std::nullopt;
  return static_cast<size_t>(it - ranked.begin());
}

std::chrono::milliseconds claim_delay(size_t rank, std::chrono::milliseconds step) {
  using Rep = std::chrono::milliseconds::rep;
  if (step.count() <= 0 || rank == 0) return std::chrono::milliseconds(0);
  if (rank > static_cast<uint64_t>(std::numeric_limits<Rep>::max() / step.count()))
    return std::chrono::milliseconds::max();
  return std::chrono::milliseconds(static_cast<Rep>(rank) * step.count());
}

bool may_claim_tick(std::chrono::milliseconds delay, std::chrono::milliseconds seen_for,
                    std::optional<std::chrono::milliseconds> open_for, std::chrono::milliseconds poll) {
  if (seen_for >= delay) return true;
  // Subtracted, not added: a delay of milliseconds::max() must not overflow.
  return open_for && *open_for >= poll && *open_for - poll >= delay;
}

std::vector<std::string> placement_hosts(const Placement& placement, std::string_view job,
                                         std::span<const Candidate> live_hosts, const Labels& selector) {
  switch (placement.kind) {
    case Placement::Kind::kAny:
      return rank_hosts(job, live_hosts, selector);
    case Placement::Kind::kHost: {
      for (const Candidate& c : live_hosts)
        if (c.id == placement.host && labels_match(c.labels, selector)) return {c.id};
      return {};
    }
    case Placement::Kind::kAll: {
      std::vector<std::string> ids;
      for (const Candidate& c : live_hosts)
        if (labels_match(c.labels, selector)) ids.push_back(c.id);
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      return ids;
    }
  }
  return {};
}

}  // namespace backend::plugins::cluster
