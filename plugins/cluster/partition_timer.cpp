#include "plugins/cluster/partition_timer.h"

#include <algorithm>
#include <limits>

namespace backend::plugins::cluster {

namespace {

using std::chrono::milliseconds;
using Clock = PartitionTimer::Clock;
using TimePoint = PartitionTimer::TimePoint;

constexpr milliseconds kMinRenewInterval{100};

milliseconds at_least_zero(milliseconds d) { return std::max(d, milliseconds(0)); }

template <typename Rep>
Rep saturating_add(Rep a, Rep b) {
  if (b > 0 && a > std::numeric_limits<Rep>::max() - b) return std::numeric_limits<Rep>::max();
  if (b < 0 && a < std::numeric_limits<Rep>::min() - b) return std::numeric_limits<Rep>::min();
  return a + b;
}

constexpr milliseconds kClockMax = std::chrono::duration_cast<milliseconds>(Clock::duration::max());

// Milliseconds in the clock's unit; beyond its range (292 years), its end.
Clock::duration to_clock(milliseconds d) {
  if (d >= kClockMax) return Clock::duration::max();
  if (d <= -kClockMax) return -Clock::duration::max();
  return std::chrono::duration_cast<Clock::duration>(d);
}

// Out of range, both lean to stopping sooner: t + d to an earlier instant, t - d to min.
TimePoint plus(TimePoint t, milliseconds d) {
  return TimePoint(Clock::duration(saturating_add(t.time_since_epoch().count(), to_clock(d).count())));
}

// t - d for d >= 0.
TimePoint minus(TimePoint t, milliseconds d) {
  if (d > kClockMax) return TimePoint::min();
  auto n = to_clock(d).count();
  auto r = t.time_since_epoch().count();
  if (r < std::numeric_limits<Clock::rep>::min() + n) return TimePoint::min();
  return TimePoint(Clock::duration(r - n));
}

std::string ms(milliseconds d) { return std::to_string(d.count()) + " ms"; }

}  // namespace

PartitionTimer::PartitionTimer(milliseconds margin) : margin_(at_least_zero(margin)) {}

void PartitionTimer::granted(TimePoint sent_at, milliseconds ttl) {
  TimePoint until = plus(sent_at, at_least_zero(ttl));
  if (newest_sent_) {
    if (sent_at < *newest_sent_) return;
    if (sent_at == *newest_sent_) {  // a lost lease stays lost
      safe_until_ = std::min(safe_until_, until);
      return;
    }
  }
  newest_sent_ = sent_at;
  safe_until_ = until;
  lost_ = false;
}

void PartitionTimer::lost() { lost_ = true; }

std::optional<TimePoint> PartitionTimer::lease_safe_until() const {
  if (!newest_sent_ || lost_) return std::nullopt;
  return safe_until_;
}

TimePoint PartitionTimer::stop_deadline(milliseconds stop_timeout) const {
  auto until = lease_safe_until();
  if (!until) return TimePoint::min();
  return minus(*until, milliseconds(saturating_add(at_least_zero(stop_timeout).count(), margin_.count())));
}

bool PartitionTimer::must_stop(TimePoint now, milliseconds stop_timeout) const {
  return now >= stop_deadline(stop_timeout);
}

std::optional<TimePoint> PartitionTimer::next_deadline(std::span<const milliseconds> stop_timeouts,
                                                       TimePoint now) const {
  std::optional<TimePoint> next;
  for (milliseconds s : stop_timeouts) {
    TimePoint d = stop_deadline(s);
    if (d > now && (!next || d < *next)) next = d;
  }
  return next;
}

bool PartitionTimer::healthy(TimePoint now) const {
  auto until = lease_safe_until();
  return until && now < *until;
}

milliseconds renew_interval(milliseconds lease_ttl) { return std::max(lease_ttl / 3, kMinRenewInterval); }

std::optional<std::string> check_ttl(milliseconds lease_ttl, milliseconds stop_timeout, milliseconds margin,
                                     milliseconds renew_interval) {
  if (lease_ttl.count() <= 0) return "the lease TTL (" + ms(lease_ttl) + ") must be above zero";
  if (renew_interval.count() <= 0) return "the renewal interval (" + ms(renew_interval) + ") must be above zero";
  if (stop_timeout.count() < 0) return "the stop timeout (" + ms(stop_timeout) + ") must not be below zero";
  if (margin.count() < 0) return "the margin (" + ms(margin) + ") must not be below zero";
  auto left = lease_ttl - stop_timeout;  // ttl > 0, stop >= 0: no overflow
  if (left > margin && left - margin > renew_interval) return std::nullopt;
  std::string left_text = left > milliseconds::min() + margin ? ms(left - margin) : "less than nothing";
  return "a lease TTL of " + ms(lease_ttl) + " less the stop timeout (" + ms(stop_timeout) + ") and the margin (" +
         ms(margin) + ") leaves " + left_text + ", not more than the renewal interval (" + ms(renew_interval) +
         "): a job would be stopped before a renewal could extend the lease; raise the TTL or lower the stop timeout";
}

}  // namespace backend::plugins::cluster
