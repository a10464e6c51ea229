#include "plugins/cluster/partition_timer.h"

#include <gtest/gtest.h>

#include <vector>

namespace backend::plugins::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = PartitionTimer::TimePoint;

// Some instant well after the clock's epoch, as a steady clock reads after boot.
const TimePoint t0 = TimePoint(std::chrono::hours(1000));
constexpr milliseconds kMargin(1000);
constexpr milliseconds kStop(3000);

TEST(PartitionTimer, BeforeAnyGrantEveryJobMustStopAtOnce) {
  PartitionTimer timer(kMargin);
  EXPECT_EQ(timer.lease_safe_until(), std::nullopt);
  EXPECT_EQ(timer.stop_deadline(kStop), TimePoint::min());
  EXPECT_TRUE(timer.must_stop(t0, kStop));
  EXPECT_TRUE(timer.must_stop(TimePoint::min(), milliseconds(0)));
  EXPECT_FALSE(timer.healthy(t0));
  const milliseconds stops[] = {kStop};
  EXPECT_EQ(timer.next_deadline(stops, t0), std::nullopt);
}

TEST(PartitionTimer, AGrantCountsFromItsSendingToTheMillisecond) {
  PartitionTimer timer(kMargin);
  timer.granted(t0, seconds(10));
  EXPECT_EQ(timer.lease_safe_until(), t0 + seconds(10));
  EXPECT_EQ(timer.stop_deadline(kStop), t0 + seconds(6));  // 10 - 3 - 1
  EXPECT_EQ(timer.stop_deadline(milliseconds(0)), t0 + seconds(9));
  EXPECT_FALSE(timer.must_stop(t0 + seconds(6) - milliseconds(1), kStop));
  EXPECT_TRUE(timer.must_stop(t0 + seconds(6), kStop));
  EXPECT_TRUE(timer.must_stop(t0 + seconds(6) + milliseconds(1), kStop));
  EXPECT_FALSE(timer.must_stop(t0 + milliseconds(8999), milliseconds(0)));
  EXPECT_TRUE(timer.must_stop(t0 + seconds(9), milliseconds(0)));
}

TEST(PartitionTimer, AGrantHeardLateStillCountsFromItsSending) {
  PartitionTimer timer(kMargin);
  timer.granted(t0, seconds(10));  // the answer came 7 s after the request
  EXPECT_TRUE(timer.must_stop(t0 + seconds(7), kStop));
  EXPECT_FALSE(timer.must_stop(t0 + seconds(7), milliseconds(1000)));
}

TEST(PartitionTimer, HealthyUntilTheLeaseMayLapse) {
  PartitionTimer timer(kMargin);
  timer.granted(t0, seconds(10));
  EXPECT_TRUE(timer.healthy(t0));
  EXPECT_TRUE(timer.healthy(t0 + milliseconds(9999)));
  EXPECT_FALSE(timer.healthy(t0 + seconds(10)));
}

TEST(PartitionTimer, ALaterRenewalMovesTheDeadlines) {
  PartitionTimer timer(kMargin);
  timer.granted(t0, seconds(10));
  timer.granted(t0 + milliseconds(3333), seconds(10));
  EXPECT_EQ(timer.lease_safe_until(), t0 + milliseconds(13333));
  EXPECT_EQ(timer.stop_deadline(kStop), t0 + milliseconds(9333));
  EXPECT_FALSE(timer.must_stop(t0 + seconds(7), kStop));
}

TEST(PartitionTimer, AnAnswerToAnOlderRequestIsIgnored) {
  PartitionTimer timer(kMargin);
  timer.granted(t0 + seconds(3), seconds(10));
  timer.granted(t0 + seconds(1), seconds(10));  // sent earlier, heard later
  EXPECT_EQ(timer.lease_safe_until(), t0 + seconds(13));
  timer.granted(t0 + seconds(2), seconds(60));  // even with a longer TTL
  EXPECT_EQ(timer.lease_safe_until(), t0 + seconds(13));
  EXPECT_EQ(timer.stop_deadline(kStop), t0 + seconds(9));
}

TEST(PartitionTimer, TheNewestSendWinsEvenWithAShorterTtl) {
  PartitionTimer timer(kMargin);
  timer.granted(t0, seconds(60));
  timer.granted(t0 + seconds(1), seconds(10));
  EXPECT_EQ(timer.lease_safe_until(), t0 + seconds(11));
}

TEST(PartitionTimer, OfTwoAnswersSentAtOneInstantTheShorterCounts) {
  PartitionTimer timer(kMargin);
  timer.granted(t0, seconds(10));
  timer.granted(t0, seconds(5));
  EXPECT_EQ(timer.lease_safe_until(), t0 + seconds(5));
  timer.granted(t0, seconds(10));
  EXPECT_EQ(timer.lease_safe_until(), t0 + seconds(5));
}

TEST(PartitionTimer, ALostLeaseStopsEveryJobAtOnce) {
  PartitionTimer timer(kMargin);
  timer.granted(t0, seconds(10));
  ASSERT_FALSE(timer.must_stop(t0 + seconds(1), kStop));
  timer.lost();
  EXPECT_TRUE(timer.must_stop(t0 + seconds(1), kStop));
  EXPECT_TRUE(timer.must_stop(t0, milliseconds(0)));
  EXPECT_EQ(timer.stop_deadline(milliseconds(0)), TimePoint::min());
  EXPECT_EQ(timer.lease_safe_until(), std::nullopt);
  EXPECT_FALSE(timer.healthy(t0 + seconds(1)));
  const milliseconds stops[] = {milliseconds(0), kStop};
  EXPECT_EQ(timer.next_deadline(stops, t0), std::nullopt);
}

TEST(PartitionTimer, AfterALossOnlyAGrantSentLaterThanEveryKnownOneCounts) {
  PartitionTimer timer(kMargin);
  timer.granted(t0 + seconds(2), seconds(10));
  timer.lost();
  timer.granted(t0 + seconds(1), seconds(10));  // older
  timer.granted(t0 + seconds(2), seconds(10));  // the same send again
  EXPECT_TRUE(timer.must_stop(t0 + seconds(3), kStop));
  EXPECT_EQ(timer.lease_safe_until(), std::nullopt);
  timer.granted(t0 + seconds(4), seconds(10));  // a new lease
  EXPECT_EQ(timer.lease_safe_until(), t0 + seconds(14));
  EXPECT_FALSE(timer.must_stop(t0 + seconds(5), kStop));
  EXPECT_TRUE(timer.healthy(t0 + seconds(5)));
}

TEST(PartitionTimer, ALossBeforeAnyGrantDoesNotBlockTheFirstGrant) {
  PartitionTimer timer(kMargin);
  timer.lost();
  timer.granted(t0, seconds(10));
  EXPECT_EQ(timer.lease_safe_until(), t0 + seconds(10));
}

TEST(PartitionTimer, TheNextDeadlineIsTheEarliestNotYetPassed) {
  PartitionTimer timer(kMargin);
  timer.granted(t0, seconds(10));
  // Deadlines: 3 s stop -> t0+6 s, 1 s -> t0+8 s, 5 s -> t0+4 s, again 3 s -> t0+6 s.
  const milliseconds stops[] = {seconds(3), seconds(1), seconds(5), seconds(3)};
  EXPECT_EQ(timer.next_deadline(stops, t0), t0 + seconds(4));
  EXPECT_EQ(timer.next_deadline(stops, t0 + seconds(4) - milliseconds(1)), t0 + seconds(4));
  EXPECT_EQ(timer.next_deadline(stops, t0 + seconds(4)), t0 + seconds(6));  // reached: must_stop is true
  EXPECT_EQ(timer.next_deadline(stops, t0 + seconds(7)), t0 + seconds(8));
  EXPECT_EQ(timer.next_deadline(stops, t0 + seconds(8)), std::nullopt);
  EXPECT_EQ(timer.next_deadline(std::span<const milliseconds>(), t0), std::nullopt);
}

TEST(PartitionTimer, TheNextDeadlineIsWhereMustStopTurns) {
  PartitionTimer timer(milliseconds(250));
  timer.granted(t0, milliseconds(4321));
  const milliseconds stops[] = {milliseconds(123), milliseconds(2000), milliseconds(7)};
  TimePoint now = t0;
  for (int fired = 0; fired < 3; ++fired) {
    auto next = timer.next_deadline(stops, now);
    ASSERT_TRUE(next);
    int before = 0, at = 0;
    for (auto s : stops) {
      before += timer.must_stop(*next - milliseconds(1), s);
      at += timer.must_stop(*next, s);
    }
    EXPECT_EQ(at, before + 1);
    now = *next;
  }
  EXPECT_EQ(timer.next_deadline(stops, now), std::nullopt);
}

TEST(PartitionTimer, NegativeStopTimeoutsAndMarginsCountAsZero) {
  PartitionTimer timer(milliseconds(-500));
  timer.granted(t0, seconds(10));
  EXPECT_EQ(timer.stop_deadline(milliseconds(-3000)), t0 + seconds(10));
  EXPECT_EQ(timer.stop_deadline(milliseconds(0)), t0 + seconds(10));
}

TEST(PartitionTimer, HugeDurationsSaturateInsteadOfOverflowing) {
  PartitionTimer timer(kMargin);
  timer.granted(t0, milliseconds::max());
  EXPECT_EQ(timer.lease_safe_until(), TimePoint::max());
  EXPECT_FALSE(timer.must_stop(t0 + std::chrono::hours(24 * 365 * 100), kStop));

  PartitionTimer soon(milliseconds::max());
  soon.granted(t0, seconds(10));
  EXPECT_EQ(soon.stop_deadline(milliseconds::max()), TimePoint::min());
  EXPECT_TRUE(soon.must_stop(t0, kStop));

  PartitionTimer early(kMargin);
  early.granted(TimePoint::min(), seconds(10));  // nothing in it subtracts below min
  EXPECT_EQ(early.stop_deadline(seconds(20)), TimePoint::min());
}

TEST(RenewInterval, IsAThirdOfTheTtlAndAtLeast100Milliseconds) {
  EXPECT_EQ(renew_interval(seconds(10)), milliseconds(3333));
  EXPECT_EQ(renew_interval(seconds(9)), seconds(3));
  EXPECT_EQ(renew_interval(milliseconds(303)), milliseconds(101));
  EXPECT_EQ(renew_interval(milliseconds(300)), milliseconds(100));
  EXPECT_EQ(renew_interval(milliseconds(299)), milliseconds(100));
  EXPECT_EQ(renew_interval(milliseconds(0)), milliseconds(100));
}

TEST(CheckTtl, TheDefaultsWork) {
  // 10 s - 3 s - 1 s = 6 s > 3.333 s.
  EXPECT_EQ(check_ttl(seconds(10), seconds(3), seconds(1), renew_interval(seconds(10))), std::nullopt);
}

TEST(CheckTtl, AFiveSecondLeaseWithAThreeSecondStopIsRefusedSayingWhy) {
  auto err = check_ttl(seconds(5), seconds(3), seconds(1), renew_interval(seconds(5)));
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("5000 ms"), std::string::npos) << *err;
  EXPECT_NE(err->find("3000 ms"), std::string::npos) << *err;
  EXPECT_NE(err->find("leaves 1000 ms"), std::string::npos) << *err;
  EXPECT_NE(err->find("1666 ms"), std::string::npos) << *err;
}

TEST(CheckTtl, WhatIsLeftMustExceedTheRenewalIntervalToTheMillisecond) {
  // 7000 - 3000 - 1000 = 3000: equal is refused, one more millisecond is enough.
  EXPECT_TRUE(check_ttl(milliseconds(7000), seconds(3), seconds(1), milliseconds(3000)));
  EXPECT_EQ(check_ttl(milliseconds(7001), seconds(3), seconds(1), milliseconds(3000)), std::nullopt);
  EXPECT_TRUE(check_ttl(milliseconds(7000), seconds(3), seconds(1), milliseconds(3001)));
  EXPECT_EQ(check_ttl(milliseconds(7000), seconds(3), seconds(1), milliseconds(2999)), std::nullopt);
  EXPECT_TRUE(check_ttl(milliseconds(7000), milliseconds(3001), seconds(1), milliseconds(2999)));
  EXPECT_TRUE(check_ttl(milliseconds(7000), seconds(3), milliseconds(1001), milliseconds(2999)));
}

TEST(CheckTtl, AStopLongerThanTheLeaseIsRefusedWithoutOverflowing) {
  auto err = check_ttl(seconds(1), milliseconds::max(), milliseconds::max(), milliseconds(333));
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("less than nothing"), std::string::npos) << *err;
  err = check_ttl(seconds(1), seconds(3), seconds(1), milliseconds(333));
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("leaves -3000 ms"), std::string::npos) << *err;
}

TEST(CheckTtl, NonsenseValuesAreRefused) {
  EXPECT_TRUE(check_ttl(milliseconds(0), seconds(0), seconds(0), milliseconds(100)));
  EXPECT_TRUE(check_ttl(seconds(-10), seconds(3), seconds(1), milliseconds(100)));
  EXPECT_TRUE(check_ttl(seconds(10), seconds(-3), seconds(1), milliseconds(100)));
  EXPECT_TRUE(check_ttl(seconds(10), seconds(3), seconds(-1), milliseconds(100)));
  EXPECT_TRUE(check_ttl(seconds(10), seconds(3), seconds(1), milliseconds(0)));
  EXPECT_EQ(check_ttl(seconds(10), seconds(0), seconds(0), milliseconds(100)), std::nullopt);
}

}  // namespace
}  // namespace backend::plugins::cluster
