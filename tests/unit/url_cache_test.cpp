#include "cache/url_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fake_clock.h"

namespace fsvc {
namespace {

using std::chrono::seconds;

UrlCacheConfig Config(std::size_t entries, std::size_t bytes, std::size_t shards) {
  UrlCacheConfig config;
  config.max_entries = entries;
  config.max_bytes = bytes;
  config.shards = shards;
  return config;
}

const std::string kUrl = "/d/AQAAAAAAAAAqZxyz0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH";

TEST(UrlCacheTest, GetReturnsWhatPutStored) {
  FakeClock clock;
  UrlCache cache(Config(100, 1 << 20, 4), clock.fn());
  EXPECT_TRUE(cache.Put("docs/a.txt", kUrl, 1700000000, seconds(60)));
  CachedLink link;
  ASSERT_TRUE(cache.Get("docs/a.txt", link));
  EXPECT_EQ(link.url, kUrl);
  EXPECT_EQ(link.expires_at, 1700000000);
  EXPECT_FALSE(cache.Get("docs/b.txt", link));
  const UrlCacheStats stats = cache.Stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.bytes, UrlCache::EntryBytes("docs/a.txt", kUrl));
}

TEST(UrlCacheTest, EraseInvalidates) {
  UrlCache cache(Config(100, 1 << 20, 4));
  ASSERT_TRUE(cache.Put("a", kUrl, 1, seconds(60)));
  EXPECT_TRUE(cache.Erase("a"));
  EXPECT_FALSE(cache.Erase("a"));
  CachedLink link;
  EXPECT_FALSE(cache.Get("a", link));
  EXPECT_EQ(cache.Stats().entries, 0u);
  EXPECT_EQ(cache.Stats().bytes, 0u);
}

TEST(UrlCacheTest, OverwriteReplacesValueAndRecountsBytes) {
  UrlCache cache(Config(100, 1 << 20, 1));
  ASSERT_TRUE(cache.Put("a", "short", 1, seconds(60)));
  const std::string longer(300, 'x');
  ASSERT_TRUE(cache.Put("a", longer, 2, seconds(60)));
  CachedLink link;
  ASSERT_TRUE(cache.Get("a", link));
  EXPECT_EQ(link.url, longer);
  EXPECT_EQ(link.expires_at, 2);
  EXPECT_EQ(cache.Stats().entries, 1u);
  EXPECT_EQ(cache.Stats().bytes, UrlCache::EntryBytes("a", longer));
}

TEST(UrlCacheTest, EntryExpiresOnFakeClock) {
  FakeClock clock;
  UrlCache cache(Config(100, 1 << 20, 4), clock.fn());
  ASSERT_TRUE(cache.Put("a", kUrl, 1, seconds(10)));
  CachedLink link;
  clock.Advance(seconds(9));
  EXPECT_TRUE(cache.Get("a", link));
  clock.Advance(seconds(1));
  EXPECT_FALSE(cache.Get("a", link));
  const UrlCacheStats stats = cache.Stats();
  EXPECT_EQ(stats.expirations, 1u);
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes, 0u);
}

TEST(UrlCacheTest, NonPositiveTtlRemovesInsteadOfCaching) {
  UrlCache cache(Config(100, 1 << 20, 4));
  ASSERT_TRUE(cache.Put("a", kUrl, 1, seconds(10)));
  EXPECT_FALSE(cache.Put("a", kUrl, 1, seconds(0)));
  CachedLink link;
  EXPECT_FALSE(cache.Get("a", link));
}

TEST(UrlCacheTest, EvictsLeastRecentlyUsedAtEntryBound) {
  UrlCache cache(Config(3, 1 << 20, 1));
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(cache.Put(key, kUrl, 1, seconds(60)));
  CachedLink link;
  ASSERT_TRUE(cache.Get("a", link));  // "b" is now the least recently used
  ASSERT_TRUE(cache.Put("d", kUrl, 1, seconds(60)));
  EXPECT_FALSE(cache.Get("b", link));
  EXPECT_TRUE(cache.Get("a", link));
  EXPECT_TRUE(cache.Get("c", link));
  EXPECT_TRUE(cache.Get("d", link));
  EXPECT_EQ(cache.Stats().evictions, 1u);
  EXPECT_EQ(cache.Stats().entries, 3u);
}

TEST(UrlCacheTest, ByteBudgetBoundsEntries) {
  const std::size_t entry = UrlCache::EntryBytes("key-00", kUrl);
  UrlCache cache(Config(1000, 3 * entry + entry / 2, 1));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cache.Put("key-0" + std::to_string(i), kUrl, 1, seconds(60)));
  }
  const UrlCacheStats stats = cache.Stats();
  EXPECT_EQ(stats.entries, 3u);
  EXPECT_EQ(stats.bytes, 3 * entry);
  EXPECT_EQ(stats.evictions, 7u);
}

TEST(UrlCacheTest, EntryCostCountsKeyValueAndNodes) {
  const std::string path(100, 'p');
  const std::string url(200, 'u');
  EXPECT_GE(UrlCache::EntryBytes(path, url), path.size() + url.size() + 4 * sizeof(void*));
}

TEST(UrlCacheTest, RefusesAnEntryLargerThanAShardsBudget) {
  UrlCache cache(Config(100, 4096, 1));
  EXPECT_FALSE(cache.Put("a", std::string(5000, 'u'), 1, seconds(60)));
  EXPECT_EQ(cache.Stats().entries, 0u);
}

TEST(UrlCacheTest, FewerShardsWhenBoundsAreTiny) {
  EXPECT_EQ(UrlCache(Config(4, 1 << 20, 16)).shard_count(), 4u);
  EXPECT_EQ(UrlCache(Config(1000, 1 << 20, 12)).shard_count(), 8u);
}

TEST(UrlCacheTest, DefaultsFollowTheMemoryLimit) {
  const UrlCacheConfig micro = UrlCacheConfigFor(1ull << 30);
  EXPECT_EQ(micro.max_bytes, 16u << 20);
  EXPECT_EQ(micro.max_entries, 65536u);
  EXPECT_EQ(UrlCacheConfigFor(128ull << 20).max_bytes, 4u << 20);
  EXPECT_EQ(UrlCacheConfigFor(64ull << 30).max_bytes, 64u << 20);
  EXPECT_EQ(UrlCacheConfigFor(0).max_bytes, 32u << 20);
  // What a typical entry really costs stays within the per-entry allowance.
  EXPECT_LE(UrlCache::EntryBytes("users/alice/photos/2024/img_100000.jpg", kUrl), 256u);
}

TEST(UrlCacheTest, SweepSomeLooksAtNoMoreThanNPerShard) {
  FakeClock clock;
  UrlCache cache(Config(1000, 1 << 20, 1), clock.fn());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(cache.Put("old-" + std::to_string(i), kUrl, 1, seconds(5)));
  }
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(cache.Put("new-" + std::to_string(i), kUrl, 1, seconds(50)));
  }
  clock.Advance(seconds(10));
  EXPECT_EQ(cache.SweepSome(30), 30u);
  EXPECT_EQ(cache.Stats().entries, 90u);
  EXPECT_EQ(cache.SweepSome(1000), 70u);
  const UrlCacheStats stats = cache.Stats();
  EXPECT_EQ(stats.entries, 20u);
  EXPECT_EQ(stats.expirations, 100u);
  CachedLink link;
  EXPECT_TRUE(cache.Get("new-7", link));
}

TEST(UrlCacheTest, SweepKeepsLiveEntriesItPasses) {
  FakeClock clock;
  UrlCache cache(Config(1000, 1 << 20, 1), clock.fn());
  ASSERT_TRUE(cache.Put("live", kUrl, 1, seconds(50)));
  ASSERT_TRUE(cache.Put("dead", kUrl, 1, seconds(5)));
  CachedLink link;
  ASSERT_TRUE(cache.Get("live", link));  // "dead" is the LRU end now
  clock.Advance(seconds(10));
  EXPECT_EQ(cache.SweepSome(10), 1u);
  EXPECT_TRUE(cache.Get("live", link));
}

// Many threads put, get, erase and sweep random keys with random value sizes
// while a watcher checks the published totals; afterwards, erasing every key
// must bring the byte count back to exactly zero (no drift in the accounting).
TEST(UrlCacheTest, ConcurrentRandomWorkloadStaysInBounds) {
  constexpr std::size_t kMaxEntries = 500;
  constexpr std::size_t kMaxBytes = 96 * 1024;
  constexpr int kKeys = 3000;
  constexpr int kThreads = 8;
  constexpr int kOpsPerThread = 40000;
  FakeClock clock;
  UrlCache cache(Config(kMaxEntries, kMaxBytes, 16), clock.fn());
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back("users/u" + std::to_string(i) + "/file.bin");

  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> gets{0};
  std::uint64_t max_entries_seen = 0;
  std::uint64_t max_bytes_seen = 0;
  std::thread watcher([&] {
    while (!done.load()) {
      const UrlCacheStats stats = cache.Stats();
      max_entries_seen = std::max(max_entries_seen, stats.entries);
      max_bytes_seen = std::max(max_bytes_seen, stats.bytes);
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::uniform_int_distribution<int> key(0, kKeys - 1);
      std::uniform_int_distribution<int> op(0, 99);
      std::uniform_int_distribution<int> url_length(1, 600);
      std::uniform_int_distribution<int> ttl(1, 30);
      CachedLink link;
      std::uint64_t my_gets = 0;
      for (int i = 0; i < kOpsPerThread; ++i) {
        const std::string& path = keys[key(rng)];
        const int what = op(rng);
        if (what < 60) {
          cache.Get(path, link);
          ++my_gets;
        } else if (what < 90) {
          cache.Put(path, std::string(url_length(rng), 'u'), 1, seconds(ttl(rng)));
        } else if (what < 97) {
          cache.Erase(path);
        } else if (what < 99) {
          cache.SweepSome(8);
        } else {
          clock.Advance(std::chrono::milliseconds(500));
        }
      }
      gets += my_gets;
    });
  }
  for (auto& worker : workers) worker.join();
  done = true;
  watcher.join();

  UrlCacheStats stats = cache.Stats();
  EXPECT_LE(max_entries_seen, kMaxEntries);
  EXPECT_LE(max_bytes_seen, kMaxBytes);
  EXPECT_GT(max_entries_seen, 0u);
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_GT(stats.expirations, 0u);
  EXPECT_EQ(stats.hits + stats.misses, gets.load());
  for (const auto& path : keys) cache.Erase(path);
  stats = cache.Stats();
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes, 0u);
}

}  // namespace
}  // namespace fsvc
