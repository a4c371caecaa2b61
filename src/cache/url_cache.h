// Bounded cache of signed download links: path -> {url, expires_at}.
//
// Contract: thread-safe. Keys are split over independent shards (each its own
// mutex), so parallel readers rarely meet. Bounded by an entry count AND a byte
// budget (key + value + node overhead, counted as the allocator sees it); each
// shard holds 1/shards of both, so the totals can never be exceeded. Get, Put
// and Erase are O(1) and evict least-recently-used entries to stay in bounds.
// An entry lives until its TTL (per entry, on the injected monotonic clock):
// Get drops an expired entry it meets, and SweepSome(n) removes expired entries
// from the LRU end of each shard looking at no more than n per shard per call,
// so no lock is ever held for a pass over the whole cache.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "cache/lru_map.h"

namespace fsvc {

struct CachedLink {
  std::string url;
  std::int64_t expires_at = 0;  // unix seconds, as handed to the client
};

struct UrlCacheConfig {
  std::size_t max_entries = 65536;
  std::size_t max_bytes = 32u << 20;
  // Rounded down to a power of two, and lowered until every shard may hold at
  // least one entry.
  std::size_t shards = 16;
};

// Defaults for an instance: a byte budget of 1/64 of the memory limit within
// [4 MiB, 64 MiB] (32 MiB when there is no limit, memory_limit_bytes == 0),
// and one entry per 256 bytes of it, what a typical path and link cost.
UrlCacheConfig UrlCacheConfigFor(std::uint64_t memory_limit_bytes);

struct UrlCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t evictions = 0;    // removed to make room
  std::uint64_t expirations = 0;  // removed because their TTL had passed
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
};

class UrlCache {
 public:
  // Monotonic time since an arbitrary epoch; tests pass a fake to advance time.
  using Clock = std::function<std::chrono::nanoseconds()>;
  static std::chrono::nanoseconds CoarseMonotonicNow();

  explicit UrlCache(const UrlCacheConfig& config, Clock clock = CoarseMonotonicNow);
  ~UrlCache();
  UrlCache(const UrlCache&) = delete;
  UrlCache& operator=(const UrlCache&) = delete;

  // On a hit copies the link into `out` (reusing its capacity) and marks the
  // entry recently used.
  bool Get(std::string_view path, CachedLink& out);
  // Inserts or replaces. A ttl <= 0 only removes the path. Returns false (and
  // caches nothing) when one entry alone exceeds a shard's byte budget.
  bool Put(std::string_view path, std::string_view url, std::int64_t expires_at,
           std::chrono::nanoseconds ttl);
  // Invalidation after a delete or an overwrite. Returns whether it was cached.
  bool Erase(std::string_view path);
  // Looks at up to `per_shard` entries from the LRU end of every shard, one
  // shard locked at a time, and removes those expired. Returns how many.
  std::size_t SweepSome(std::size_t per_shard);

  UrlCacheStats Stats() const;
  std::size_t shard_count() const { return shard_mask_ + 1; }
  // What one entry costs against the byte budget.
  static std::size_t EntryBytes(std::string_view path, std::string_view url);

 private:
  struct Value {
    CachedLink link;
    std::chrono::nanoseconds deadline;
    std::size_t bytes;
  };
  using Map = LruMap<Value>;
  struct Shard;

  Shard& ShardFor(std::size_t hash) const;
  // Removes from the LRU end until the shard holds no more than its entry
  // bound and `incoming_bytes` more fit its byte budget; never removes `keep`.
  void MakeRoom(Shard& shard, std::size_t incoming_bytes, Map::Iter keep,
                std::chrono::nanoseconds now);
  void Remove(Shard& shard, Map::Iter it);

  std::unique_ptr<Shard[]> shards_;
  std::size_t shard_mask_;
  std::size_t max_entries_per_shard_;
  std::size_t max_bytes_per_shard_;
  Clock clock_;
};

}  // namespace fsvc
