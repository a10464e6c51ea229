// When a host cut off from etcd must stop its cluster jobs. Its claims hang
// on an etcd lease; once the lease expires on the etcd side another host may
// claim the jobs, so by then this host must have stopped them, without being
// told: a partitioned host hears nothing. It counts from what it knows.
//
// A renewal sent at local time t that succeeds with TTL g keeps the lease on
// etcd until at least t + g: etcd received it after t. Only durations cross
// hosts, never wall times; the margin covers the clocks' rates differing. So
// a job whose stop takes up to s must begin stopping by t + g - s - margin, t
// the newest successful send.
//
// Pure logic: times are passed in, no clock is read, no loop is touched.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>

namespace backend::plugins::cluster {

class PartitionTimer {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  // margin: slack for clock rate drift and the stop's own latency; below zero counts as zero.
  explicit PartitionTimer(std::chrono::milliseconds margin);

  // A lease grant or successful keepalive whose request was sent at sent_at.
  // Responses may come out of order: one sent before the newest known is
  // ignored, and of two sent at the same instant the shorter counts (which
  // one etcd saw last is unknown). The newest send wins even with a shorter
  // TTL: etcd counts from the last renewal it saw. After lost(), only a grant
  // sent later than every one known counts (a new lease).
  void granted(TimePoint sent_at, std::chrono::milliseconds ttl);
  // The lease is known gone (a keepalive answered TTL 0, or not found): every
  // deadline is now. The caller drops any later answer about the lost lease
  // (by its id): one sent before the loss but newer than the newest success
  // would otherwise look like a renewal.
  void lost();

  // Until when the lease surely lives on etcd; nullopt when no lease is known
  // (before any grant, after lost()).
  std::optional<TimePoint> lease_safe_until() const;
  // When a job with this stop timeout must begin stopping: lease_safe_until -
  // stop_timeout - margin (a negative stop timeout counts as zero); with no
  // lease known, TimePoint::min() (stop at once). Never overflows: out of
  // range it saturates on the side of stopping sooner.
  TimePoint stop_deadline(std::chrono::milliseconds stop_timeout) const;
  // now >= stop_deadline: at the deadline itself the stop must begin.
  bool must_stop(TimePoint now, std::chrono::milliseconds stop_timeout) const;
  // The earliest deadline of these stop timeouts still after now (must_stop is
  // already true for the others), so the owner arms one timer; nullopt when
  // none is left. granted() and lost() move every deadline: after either,
  // check must_stop and arm again.
  std::optional<TimePoint> next_deadline(std::span<const std::chrono::milliseconds> stop_timeouts, TimePoint now) const;
  // The lease is known alive at now: now < lease_safe_until.
  bool healthy(TimePoint now) const;

 private:
  std::chrono::milliseconds margin_;
  std::optional<TimePoint> newest_sent_;  // of the newest grant counted
  TimePoint safe_until_{};
  bool lost_ = false;
};

// How often to renew a lease of this TTL: a third of it, so two renewals may
// fail before it lapses; at least 100 ms, not to hammer etcd.
std::chrono::milliseconds renew_interval(std::chrono::milliseconds lease_ttl);

// An error sentence when the settings cannot work: when lease_ttl -
// stop_timeout - margin <= renew_interval a job would be stopped before the
// next renewal could extend the lease, so on a healthy host too. Also refuses
// a TTL or renewal interval not above zero, or a stop timeout or margin below zero.
std::optional<std::string> check_ttl(std::chrono::milliseconds lease_ttl, std::chrono::milliseconds stop_timeout,
                                     std::chrono::milliseconds margin, std::chrono::milliseconds renew_interval);

}  // namespace backend::plugins::cluster
