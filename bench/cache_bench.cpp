// URL cache: get (1..8 threads), set, 80/20 mix, inserts at capacity (the
// eviction path) and the incremental sweep.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "../tests/unit/fake_clock.h"
#include "alloc_counter.h"
#include "cache/url_cache.h"

namespace fsvc::bench {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

constexpr std::size_t kKeys = 8192;  // a power of two: the key index wraps with a mask
constexpr std::int64_t kExpiresAt = 1'700'000'900;
// What /download hands out: "/d/" and a 60-character token.
const std::string kUrl = "/d/AQAAAAAAAAAqZUU5yF9v3mO0c1Tq2n8r1Yh4kQ0sW6bJxLz7aPeGdVfR2uIo";

std::vector<std::string> MakePaths(std::size_t n, std::string_view folder) {
  std::vector<std::string> paths;
  paths.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    paths.push_back(std::string(folder) + "/photos/2024/img_" + std::to_string(100000 + i) +
                    ".jpg");
  }
  return paths;
}

UrlCacheConfig Config(std::size_t max_entries) {
  UrlCacheConfig config;
  config.max_entries = max_entries;
  config.max_bytes = 256u << 20;
  return config;
}

// One cache holding kKeys live links, shared by every thread of a run.
struct Filled {
  std::vector<std::string> paths = MakePaths(kKeys, "users/alice");
  UrlCache cache{Config(65536)};
  Filled() {
    for (const auto& path : paths) cache.Put(path, kUrl, kExpiresAt, hours(1));
  }
};
Filled& SharedFilled() {
  static Filled filled;
  return filled;
}

// Each thread starts at its own offset so threads do not walk in lock-step.
std::size_t StartIndex(const benchmark::State& state) {
  return state.thread_index() * 1237;
}

// Gets, with a Put of the same path every `put_every`-th operation (0: never,
// 1: only puts). Puts replace a cached link: the steady state of /download.
void RunOps(benchmark::State& state, std::size_t put_every) {
  Filled& f = SharedFilled();
  CachedLink link;
  std::size_t i = StartIndex(state);
  const AllocationCounter allocations;
  for (auto _ : state) {
    const std::string& path = f.paths[i & (kKeys - 1)];
    if (put_every != 0 && i % put_every == 0) {
      benchmark::DoNotOptimize(f.cache.Put(path, kUrl, kExpiresAt, hours(1)));
    } else {
      benchmark::DoNotOptimize(f.cache.Get(path, link));
    }
    ++i;
  }
  allocations.Report(state);
}

void BM_CacheGet(benchmark::State& state) {
  RunOps(state, 0);
}
void BM_CacheSet(benchmark::State& state) {
  RunOps(state, 1);
}
void BM_CacheMixed80Get20Set(benchmark::State& state) {
  RunOps(state, 5);
}
BENCHMARK(BM_CacheGet)->ThreadRange(1, 8)->UseRealTime();
BENCHMARK(BM_CacheSet)->ThreadRange(1, 8)->UseRealTime();
BENCHMARK(BM_CacheMixed80Get20Set)->ThreadRange(1, 8)->UseRealTime();

// Every thread reads the same path: one shard, one mutex, one entry; the
// worst case for sharding (and the shape of the original service's benchmark).
void BM_CacheGetHotKey(benchmark::State& state) {
  Filled& f = SharedFilled();
  CachedLink link;
  const AllocationCounter allocations;
  for (auto _ : state) benchmark::DoNotOptimize(f.cache.Get(f.paths[0], link));
  allocations.Report(state);
}
BENCHMARK(BM_CacheGetHotKey)->ThreadRange(1, 8)->UseRealTime();

// Every Put inserts a new path into a full cache and evicts the LRU entry.
void BM_CacheInsertAtCapacity(benchmark::State& state) {
  const auto capacity = static_cast<std::size_t>(state.range(0));
  const std::vector<std::string> paths = MakePaths(1 << 16, "users/bob");
  UrlCache cache(Config(capacity));
  std::size_t i = 0;
  for (; i < capacity; ++i) cache.Put(paths[i], kUrl, kExpiresAt, hours(1));
  const AllocationCounter allocations;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.Put(paths[i++ & 0xffff], kUrl, kExpiresAt, hours(1)));
  }
  allocations.Report(state);
  const UrlCacheStats stats = cache.Stats();
  state.counters["evictions/op"] =
      benchmark::Counter(static_cast<double>(stats.evictions), benchmark::Counter::kAvgIterations);
  state.counters["bytes/entry"] = static_cast<double>(stats.bytes) / stats.entries;
}
BENCHMARK(BM_CacheInsertAtCapacity)->Arg(4096);

// One SweepSome(n) call over a cache whose entries have all expired: the cost
// of one increment, and per removed entry (items). Refilled while paused.
void BM_CacheSweepExpired(benchmark::State& state) {
  const auto per_shard = static_cast<std::size_t>(state.range(0));
  const std::vector<std::string> paths = MakePaths(1 << 16, "users/carol");
  FakeClock clock;
  UrlCache cache(Config(1 << 16), clock.fn());
  const auto refill = [&] {
    for (const auto& path : paths) cache.Put(path, kUrl, kExpiresAt, seconds(1));
    clock.Advance(seconds(2));
  };
  refill();
  std::size_t removed = 0;
  for (auto _ : state) {
    const std::size_t n = cache.SweepSome(per_shard);
    removed += n;
    if (n == 0) {
      state.PauseTiming();
      refill();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(removed));
}
BENCHMARK(BM_CacheSweepExpired)->Arg(64);

// The same call when nothing has expired: the price of looking.
void BM_CacheSweepNothingExpired(benchmark::State& state) {
  const auto per_shard = static_cast<std::size_t>(state.range(0));
  Filled& f = SharedFilled();
  for (auto _ : state) benchmark::DoNotOptimize(f.cache.SweepSome(per_shard));
  state.SetItemsProcessed(state.iterations() *
                          static_cast<std::int64_t>(per_shard * f.cache.shard_count()));
}
BENCHMARK(BM_CacheSweepNothingExpired)->Arg(64);

}  // namespace
}  // namespace fsvc::bench
