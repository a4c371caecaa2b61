#include "ratelimit/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fake_clock.h"
#include "ratelimit/rate_check.h"

namespace fsvc {
namespace {

using std::chrono::seconds;

RateLimiterConfig Config(double rate, double burst, std::size_t max_clients = 1024,
                         std::size_t shards = 16) {
  RateLimiterConfig config;
  config.buckets = {{{rate, burst}, {rate, burst}}};
  config.max_clients = max_clients;
  config.shards = shards;
  return config;
}

TEST(RateLimiterTest, BurstThenDenyWithHeaderFigures) {
  FakeClock clock;
  RateLimiter limiter(Config(1, 3), clock.fn());
  for (std::uint32_t left : {2u, 1u, 0u}) {
    const Decision d = limiter.Allow("10.0.0.1", RouteClass::kRead);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.limit, 3u);
    EXPECT_EQ(d.remaining, left);
    EXPECT_EQ(d.retry_after_seconds, 0u);
  }
  const Decision denied = limiter.Allow("10.0.0.1", RouteClass::kRead);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.remaining, 0u);
  EXPECT_EQ(denied.retry_after_seconds, 1u);
  EXPECT_EQ(denied.reset_seconds, 3u);
  EXPECT_EQ(limiter.Stats().allowed, 3u);
  EXPECT_EQ(limiter.Stats().denied, 1u);
}

TEST(RateLimiterTest, RefillsWithTime) {
  FakeClock clock;
  RateLimiter limiter(Config(2, 2), clock.fn());
  EXPECT_TRUE(limiter.Allow("c", RouteClass::kRead).allowed);
  EXPECT_TRUE(limiter.Allow("c", RouteClass::kRead).allowed);
  EXPECT_FALSE(limiter.Allow("c", RouteClass::kRead).allowed);
  clock.Advance(std::chrono::milliseconds(400));  // 0.8 tokens
  const Decision early = limiter.Allow("c", RouteClass::kRead);
  EXPECT_FALSE(early.allowed);
  EXPECT_EQ(early.retry_after_seconds, 1u);
  clock.Advance(std::chrono::milliseconds(200));
  EXPECT_TRUE(limiter.Allow("c", RouteClass::kRead).allowed);
  clock.Advance(seconds(100));
  EXPECT_EQ(limiter.Allow("c", RouteClass::kRead).remaining, 1u);  // capped at the burst
}

TEST(RateLimiterTest, SlowRefillGivesLongRetryAfter) {
  FakeClock clock;
  RateLimiter limiter(Config(0.1, 1), clock.fn());
  EXPECT_TRUE(limiter.Allow("c", RouteClass::kRead).allowed);
  EXPECT_EQ(limiter.Allow("c", RouteClass::kRead).retry_after_seconds, 10u);
}

TEST(RateLimiterTest, NonsenseConfigStillGivesDefinedAnswers) {
  FakeClock clock;
  RateLimiter limiter(Config(0, 0), clock.fn());
  EXPECT_TRUE(limiter.Allow("c", RouteClass::kRead).allowed);  // burst raised to 1
  const Decision d = limiter.Allow("c", RouteClass::kRead);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit, 1u);
  EXPECT_GT(d.retry_after_seconds, 86400u);
}

TEST(RateLimiterTest, RouteClassesAndClientsHaveSeparateBuckets) {
  FakeClock clock;
  RateLimiterConfig config = Config(1, 1);
  config.buckets[static_cast<std::size_t>(RouteClass::kRead)] = {1, 5};
  RateLimiter limiter(config, clock.fn());
  EXPECT_TRUE(limiter.Allow("a", RouteClass::kWrite).allowed);
  EXPECT_FALSE(limiter.Allow("a", RouteClass::kWrite).allowed);
  const Decision read = limiter.Allow("a", RouteClass::kRead);
  EXPECT_TRUE(read.allowed);
  EXPECT_EQ(read.limit, 5u);
  EXPECT_TRUE(limiter.Allow("b", RouteClass::kWrite).allowed);
}

TEST(RateLimiterTest, TableNeverExceedsItsBound) {
  FakeClock clock;
  RateLimiter limiter(Config(10, 30, 64, 4), clock.fn());
  for (int i = 0; i < 1000; ++i) {
    limiter.Allow("client-" + std::to_string(i), RouteClass::kRead);
    ASSERT_LE(limiter.Stats().clients, 64u);
  }
  EXPECT_EQ(limiter.Stats().clients, 64u);
  EXPECT_EQ(limiter.Stats().full_evictions, 1000u - 64u);
}

TEST(RateLimiterTest, DropsIdleClientsAsTrafficPasses) {
  FakeClock clock;
  RateLimiterConfig config = Config(10, 30, 1024, 1);
  config.idle_ttl = seconds(180);
  RateLimiter limiter(config, clock.fn());
  for (int i = 0; i < 10; ++i) limiter.Allow("idle-" + std::to_string(i), RouteClass::kRead);
  clock.Advance(seconds(179));
  limiter.Allow("active", RouteClass::kRead);
  EXPECT_EQ(limiter.Stats().clients, 11u);
  clock.Advance(seconds(2));
  for (int i = 0; i < 5; ++i) limiter.Allow("active", RouteClass::kRead);
  EXPECT_EQ(limiter.Stats().clients, 1u);
  EXPECT_EQ(limiter.Stats().idle_evictions, 10u);
}

TEST(RateLimiterTest, IdleTtlNeverShorterThanARefill) {
  FakeClock clock;
  RateLimiterConfig config = Config(1, 30, 1024, 1);
  config.idle_ttl = seconds(1);  // raised to 30 s: the time a bucket takes to refill
  RateLimiter limiter(config, clock.fn());
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(limiter.Allow("a", RouteClass::kRead).allowed);
  clock.Advance(seconds(10));
  limiter.Allow("b", RouteClass::kRead);  // passes "a" at the idle end
  const Decision d = limiter.Allow("a", RouteClass::kRead);
  EXPECT_EQ(d.remaining, 9u);  // 10 tokens refilled, 1 taken: not a fresh bucket
  EXPECT_EQ(limiter.Stats().idle_evictions, 0u);
}

TEST(RateLimiterTest, ConcurrentClientsStayInBound) {
  constexpr std::size_t kMaxClients = 256;
  FakeClock clock;
  RateLimiter limiter(Config(5, 10, kMaxClients, 16), clock.fn());
  std::atomic<bool> done{false};
  std::uint64_t max_seen = 0;
  std::thread watcher([&] {
    while (!done.load()) max_seen = std::max(max_seen, limiter.Stats().clients);
  });
  std::vector<std::thread> workers;
  std::atomic<std::uint64_t> calls{0};
  for (int t = 0; t < 8; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::uniform_int_distribution<int> client(0, 9999);
      for (int i = 0; i < 30000; ++i) {
        limiter.Allow("10.1." + std::to_string(client(rng)), RouteClass(i % 2));
        if (i % 1000 == 0) clock.Advance(std::chrono::milliseconds(100));
      }
      calls += 30000;
    });
  }
  for (auto& worker : workers) worker.join();
  done = true;
  watcher.join();
  const RateLimiterStats stats = limiter.Stats();
  EXPECT_LE(max_seen, kMaxClients);
  EXPECT_GT(max_seen, kMaxClients / 2);
  EXPECT_EQ(stats.allowed + stats.denied, calls.load());
}

TEST(ClientKeyTest, IgnoresForwardedForWithoutTrustedProxy) {
  EXPECT_EQ(ClientKey("203.0.113.9", "1.2.3.4", 0), "203.0.113.9");
}

TEST(ClientKeyTest, TakesTheEntryTheTrustedProxyAppended) {
  EXPECT_EQ(ClientKey("10.0.0.2", "6.6.6.6, 198.51.100.7", 1), "198.51.100.7");
  EXPECT_EQ(ClientKey("10.0.0.2", "6.6.6.6, 198.51.100.7 , 10.0.0.9", 2), "198.51.100.7");
}

TEST(ClientKeyTest, FallsBackSensibly) {
  EXPECT_EQ(ClientKey("10.0.0.2", "", 1), "10.0.0.2");
  EXPECT_EQ(ClientKey("10.0.0.2", " , ", 1), "10.0.0.2");
  EXPECT_EQ(ClientKey("10.0.0.2", "198.51.100.7", 3), "198.51.100.7");
  EXPECT_EQ(ClientKey("10.0.0.2", "2001:db8::1,,\t", 1), "2001:db8::1");
}

TEST(RateCheckTest, ClassesMapToBucketsWithHeadersEitherWay) {
  FakeClock clock;
  RateLimiterConfig config = Config(1, 2);
  config.buckets[static_cast<size_t>(RouteClass::kWrite)] = {1, 1};
  RateLimiter limiter(config, clock.fn());
  const RateCheck check = MakeRateCheck(limiter);
  const auto header = [](const RateVerdict& v, std::string_view name) {
    for (const auto& [k, value] : v.headers) {
      if (k == name) return value;
    }
    return std::string("<none>");
  };

  const RateVerdict write = check("10.0.0.1", RateClass::kWrite);
  EXPECT_TRUE(write.allowed);
  EXPECT_EQ(header(write, "RateLimit-Limit"), "1");
  EXPECT_EQ(header(write, "RateLimit-Remaining"), "0");
  EXPECT_EQ(header(write, "Retry-After"), "<none>");
  const RateVerdict refused = check("10.0.0.1", RateClass::kWrite);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(header(refused, "Retry-After"), "1");
  EXPECT_NE(refused.message.find("retry after 1 s"), std::string::npos) << refused.message;
  // Reads draw from their own bucket; exempt rows from none.
  EXPECT_TRUE(check("10.0.0.1", RateClass::kRead).allowed);
  for (int i = 0; i < 10; ++i) {
    const RateVerdict exempt = check("10.0.0.1", RateClass::kExempt);
    EXPECT_TRUE(exempt.allowed);
    EXPECT_TRUE(exempt.headers.empty());
  }
  EXPECT_EQ(limiter.Stats().allowed + limiter.Stats().denied, 3u);
}

}  // namespace
}  // namespace fsvc
