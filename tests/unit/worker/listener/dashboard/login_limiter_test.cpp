#include "worker/listener/dashboard/login_limiter.h"

#include <gtest/gtest.h>

namespace backend::worker::dashboard {
namespace {

constexpr uint64_t kWindow = LoginLimiter::kWindowMs;
// Far from 0, as a steady clock is.
constexpr uint64_t T0 = 10'000'000;

TEST(LoginLimiter, FiveFailuresThenAWait) {
  LoginLimiter l;
  const std::string ip = "10.0.0.1";
  EXPECT_EQ(l.wait_ms(ip, T0), 0u);
  for (uint64_t i = 0; i < LoginLimiter::kMaxFailures - 1; ++i) {
    l.failed(ip, T0 + i);
    EXPECT_EQ(l.wait_ms(ip, T0 + i), 0u) << "after " << i + 1 << " failures";
  }
  l.failed(ip, T0 + 4);
  uint64_t wait = l.wait_ms(ip, T0 + 4);
  EXPECT_GT(wait, 0u);
  EXPECT_LE(wait, kWindow);
  EXPECT_EQ(wait, kWindow - 4) << "until the oldest failure is a window old";
}

TEST(LoginLimiter, TheWaitShrinksAsTimePassesAndEndsAfterTheWindow) {
  LoginLimiter l;
  const std::string ip = "10.0.0.1";
  for (int i = 0; i < 5; ++i) l.failed(ip, T0);
  uint64_t first = l.wait_ms(ip, T0);
  uint64_t later = l.wait_ms(ip, T0 + 20'000);
  uint64_t last = l.wait_ms(ip, T0 + kWindow - 1);
  EXPECT_EQ(first, kWindow);
  EXPECT_EQ(later, kWindow - 20'000);
  EXPECT_EQ(last, 1u);
  EXPECT_LT(later, first);
  EXPECT_EQ(l.wait_ms(ip, T0 + kWindow), 0u) << "free again once the failures are a window old";
  // The failures went with the window: one more failure does not block.
  l.failed(ip, T0 + kWindow);
  EXPECT_EQ(l.wait_ms(ip, T0 + kWindow), 0u);
}

TEST(LoginLimiter, FailuresSpreadOverMoreThanAWindowDoNotBlock) {
  LoginLimiter l;
  const std::string ip = "10.0.0.1";
  // One failure every 15 s: never five within a minute.
  for (int i = 0; i < 20; ++i) {
    uint64_t t = T0 + uint64_t(i) * 15'000;
    l.failed(ip, t);
    EXPECT_EQ(l.wait_ms(ip, t), 0u) << "failure " << i;
  }
}

TEST(LoginLimiter, OnlyTheFiveNewestFailuresCount) {
  LoginLimiter l;
  const std::string ip = "10.0.0.1";
  for (int i = 0; i < 5; ++i) l.failed(ip, T0 + uint64_t(i) * 1000);  // 0..4 s
  for (int i = 0; i < 3; ++i) l.failed(ip, T0 + 30'000);                // 30 s
  // The five newest are at 3, 4, 30, 30, 30 s.
  EXPECT_EQ(l.wait_ms(ip, T0 + 30'000), kWindow - 27'000);
  EXPECT_EQ(l.wait_ms(ip, T0 + kWindow + 2'999), 1u);
  // The one at 3 s is a window old: four are left, not five.
  EXPECT_EQ(l.wait_ms(ip, T0 + kWindow + 3'000), 0u);
}

TEST(LoginLimiter, ASuccessResetsTheCount) {
  LoginLimiter l;
  const std::string ip = "10.0.0.1";
  for (int i = 0; i < 5; ++i) l.failed(ip, T0);
  ASSERT_GT(l.wait_ms(ip, T0), 0u);
  l.succeeded(ip);
  EXPECT_EQ(l.wait_ms(ip, T0), 0u);
  for (int i = 0; i < 4; ++i) l.failed(ip, T0 + 1);
  EXPECT_EQ(l.wait_ms(ip, T0 + 1), 0u) << "four failures after a success are not five";
  l.failed(ip, T0 + 2);
  EXPECT_GT(l.wait_ms(ip, T0 + 2), 0u);
}

TEST(LoginLimiter, OtherAddressesAreNotAffected) {
  LoginLimiter l;
  for (int i = 0; i < 5; ++i) l.failed("10.0.0.1", T0);
  EXPECT_GT(l.wait_ms("10.0.0.1", T0), 0u);
  EXPECT_EQ(l.wait_ms("10.0.0.2", T0), 0u);
  EXPECT_EQ(l.wait_ms("::1", T0), 0u);
  l.failed("10.0.0.2", T0);
  EXPECT_EQ(l.wait_ms("10.0.0.2", T0), 0u);
  l.succeeded("10.0.0.2");
  EXPECT_GT(l.wait_ms("10.0.0.1", T0), 0u) << "a success elsewhere does not free it";
}

TEST(LoginLimiter, OldAddressesAreForgotten) {
  LoginLimiter l;
  for (int i = 0; i < 1000; ++i) l.failed("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256), T0);
  EXPECT_EQ(l.addresses(), 1000u);
  l.failed("10.9.9.9", T0 + kWindow / 2);
  // A window after the scan, any call sweeps the table.
  EXPECT_EQ(l.wait_ms("192.168.0.1", T0 + kWindow + 1), 0u);
  EXPECT_EQ(l.addresses(), 1u) << "only the address with a failure inside the window is kept";
  EXPECT_EQ(l.wait_ms("192.168.0.1", T0 + 2 * kWindow + 10), 0u);
  EXPECT_EQ(l.addresses(), 0u);
}

TEST(LoginLimiter, ForgettingDoesNotFreeABlockedAddress) {
  LoginLimiter l;
  for (int i = 0; i < 5; ++i) l.failed("10.0.0.1", T0 + kWindow);
  l.failed("10.0.0.2", T0);
  // The sweep at T0 + kWindow + 10 drops 10.0.0.2 but keeps 10.0.0.1.
  EXPECT_GT(l.wait_ms("10.0.0.1", T0 + kWindow + 10), 0u);
  EXPECT_EQ(l.addresses(), 1u);
}

}  // namespace
}  // namespace backend::worker::dashboard
