#include "plugins/scheduler/due_cache.h"

#include <gtest/gtest.h>

#include "plugins/scheduler/next_due.h"

namespace backend::plugins::scheduler {
namespace {

Condition every(int64_t seconds) {
  Condition c;
  c.U = seconds;
  return c;
}

// A compute that counts its calls: what the cache saves is those calls.
struct Counted {
  int calls = 0;
  DueCache cache{[this](const Condition& c, time_t from) {
    ++calls;
    return next_due(c, from);
  }};
};

TEST(DueCache, AnInstantIsWorkedOutOnceForAConditionAndAStart) {
  Counted t;
  const DueCache::Key a{"job", "u1"}, b{"job", "u2"};
  EXPECT_EQ(t.cache.next(a, every(60), 1000), std::optional<time_t>(1020));
  EXPECT_EQ(t.cache.next(a, every(60), 1000), std::optional<time_t>(1020));
  EXPECT_EQ(t.calls, 1);
  EXPECT_EQ(t.cache.next(b, every(60), 1000), std::optional<time_t>(1020));  // another schedule
  EXPECT_EQ(t.calls, 2);
  EXPECT_EQ(t.cache.next(a, every(120), 1000), std::optional<time_t>(1080));  // its condition changed
  EXPECT_EQ(t.calls, 3);
  EXPECT_EQ(t.cache.next(a, every(120), 1080), std::optional<time_t>(1200));  // counted from later
  EXPECT_EQ(t.calls, 4);
}

// The timer fired and nothing was due: counting from the later time gives
// the same instant, without working it out again; once the instant passed,
// it is worked out anew.
TEST(DueCache, AdvancingPastNothingDueKeepsTheInstant) {
  Counted t;
  const DueCache::Key a{"job", "u1"};
  ASSERT_EQ(t.cache.next(a, every(3600), 1000), std::optional<time_t>(3600));
  t.cache.advanced(a, 2000);
  EXPECT_EQ(t.cache.next(a, every(3600), 2000), std::optional<time_t>(3600));
  EXPECT_EQ(t.calls, 1);
  t.cache.advanced(a, 3600);  // the instant itself was dealt with
  EXPECT_EQ(t.cache.next(a, every(3600), 3600), std::optional<time_t>(7200));
  EXPECT_EQ(t.calls, 2);
}

// "Never" counted from one time may not be never from a later one.
TEST(DueCache, NeverIsWorkedOutAgainFromALaterStart) {
  int calls = 0;
  DueCache cache([&](const Condition&, time_t from) -> std::optional<time_t> {
    ++calls;
    if (from < 5000) return std::nullopt;
    return from + 1;
  });
  const DueCache::Key a{"job", "u1"};
  EXPECT_EQ(cache.next(a, every(60), 1000), std::nullopt);
  cache.advanced(a, 6000);
  EXPECT_EQ(cache.next(a, every(60), 6000), std::optional<time_t>(6001));
  EXPECT_EQ(calls, 2);
}

TEST(DueCache, DeletedSchedulesAreForgotten) {
  Counted t;
  t.cache.next({"a", "1"}, every(60), 0);
  t.cache.next({"a", "2"}, every(60), 0);
  t.cache.next({"b", "1"}, every(60), 0);
  t.cache.keep_only("a", [](const DueCache::Key& k) { return k.second == "2"; });
  EXPECT_EQ(t.cache.size(), 2u);  // only job a's were looked at
  t.cache.next({"a", "2"}, every(60), 0);
  t.cache.next({"b", "1"}, every(60), 0);
  EXPECT_EQ(t.calls, 3);
  t.cache.next({"a", "1"}, every(60), 0);
  EXPECT_EQ(t.calls, 4);
  t.cache.clear();
  EXPECT_EQ(t.cache.size(), 0u);
}

}  // namespace
}  // namespace backend::plugins::scheduler
