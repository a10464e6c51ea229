// Where a cluster job runs. Every host decides alone, from the same facts
// (the live hosts and their labels, read from etcd), so every function here
// is a pure function of its arguments and gives the same answer on every
// host, build and machine: the best-ranked host claims a job first and the
// others, waiting longer, find it claimed. No vote, no leader.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace backend::plugins::cluster {

// "any" (the default): the best-ranked live matching host, failing over to
// the next; "host:<id>": that host only, no failover; "all": a copy on every
// live matching host.
struct Placement {
  enum class Kind { kAny, kHost, kAll } kind = Kind::kAny;
  std::string host;  // kHost only; empty otherwise

  bool operator==(const Placement&) const = default;
};

// Host ids are hostnames: 1 to 253 characters of letters, digits, '.', '_', '-'.
constexpr size_t kMaxHostIdLength = 253;
bool valid_host_id(std::string_view id);

// "" and "any" give kAny, "all" kAll, "host:<id>" kHost. The error sentence
// names the value and says what is allowed; out is untouched then.
std::optional<std::string> parse_placement(std::string_view text, Placement& out);
// "any", "all" or "host:<id>": parse_placement reads it back to the same.
std::string placement_text(const Placement& placement);

using Labels = std::map<std::string, std::string>;

// True when the host has every key of the selector with the same value; an
// empty selector matches every host. A key with an empty value is still a
// key: {"gpu": ""} does not match a host without "gpu".
bool labels_match(const Labels& host_labels, const Labels& selector);

// The rendezvous (highest random weight) weight of a host for a job. Hosts
// compute it independently and must agree, so it is defined here bit for bit
// rather than left to std::hash:
//   h = 0xcbf29ce484222325                             (FNV-1a 64 offset basis)
//   for each byte b of job, then one 0x00 byte, then each byte b of host:
//     h = (h ^ b) * 0x100000001b3 mod 2^64             (FNV-1a 64 prime)
//   h ^= h >> 33; h *= 0xff51afd7ed558ccd;             (murmur3 fmix64: FNV-1a
//   h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53;              alone mixes the last
//   h ^= h >> 33;                                       bytes poorly)
// Bytes are taken as unsigned; no step depends on endianness. Host ids carry
// no 0 byte, so the separator keeps ("ab", "c") apart from ("a", "bc").
// Changing this moves jobs between hosts in a mixed-version cluster.
uint64_t rendezvous_weight(std::string_view job, std::string_view host);

struct Candidate {
  std::string id;
  Labels labels;
};

// The live hosts that match the selector, highest weight first, ties broken
// by id ascending, each id once: the same order whatever order they are given in.
std::vector<std::string> rank_hosts(std::string_view job, std::span<const Candidate> live_hosts,
                                    const Labels& selector);

// Self's place in rank_hosts (0: the best); nullopt when self is not live or
// does not match.
std::optional<size_t> rank_of(std::string_view job, std::string_view self, std::span<const Candidate> live_hosts,
                              const Labels& selector);

// How long the host of a rank waits before trying to claim: rank * step,
// saturating at milliseconds::max(); a step below zero counts as zero.
std::chrono::milliseconds claim_delay(size_t rank, std::chrono::milliseconds step);

// Whether a host may claim a schedule's tick now, given its claim delay:
// once it has seen the tick unclaimed for that long, or once the tick has
// been open (open_for; none for an old tick run again) one poll longer than
// the delay. By then the better-ranked hosts have had their look; counted
// from a first sighting alone, a tick first seen late (a slow etcd, a busy
// host) would pass unclaimed by every host.
bool may_claim_tick(std::chrono::milliseconds delay, std::chrono::milliseconds seen_for,
                    std::optional<std::chrono::milliseconds> open_for, std::chrono::milliseconds poll);

// The hosts that should run the job: for kAny the ranking (its first is the
// owner, the rest the failover order); for kHost that host when it is live and
// matches, else none; for kAll every live matching host, sorted by id.
std::vector<std::string> placement_hosts(const Placement& placement, std::string_view job,
                                         std::span<const Candidate> live_hosts, const Labels& selector);

}  // namespace backend::plugins::cluster
