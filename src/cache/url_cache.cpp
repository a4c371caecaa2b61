#include "cache/url_cache.h"

#include <time.h>

#include <algorithm>
#include <bit>
#include <iterator>

#include "util/mutex.h"

namespace fsvc {

// Own cache line each, so two shards' locks never share one.
struct alignas(64) UrlCache::Shard {
  Mutex mu;
  Map map GUARDED_BY(mu);
  ShardCounter hits;
  ShardCounter misses;
  ShardCounter evictions;
  ShardCounter expirations;
  ShardCounter entries;
  ShardCounter bytes;
};

UrlCacheConfig UrlCacheConfigFor(std::uint64_t memory_limit_bytes) {
  constexpr std::uint64_t kMiB = 1 << 20;
  constexpr std::uint64_t kTypicalEntryBytes = 256;
  UrlCacheConfig config;
  config.max_bytes = memory_limit_bytes == 0
                         ? 32 * kMiB
                         : std::clamp<std::uint64_t>(memory_limit_bytes / 64, 4 * kMiB, 64 * kMiB);
  config.max_entries = config.max_bytes / kTypicalEntryBytes;
  return config;
}

std::chrono::nanoseconds UrlCache::CoarseMonotonicNow() {
  // Entries live for minutes; the coarse clock's few milliseconds of
  // resolution are plenty and it costs a fraction of CLOCK_MONOTONIC.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

UrlCache::UrlCache(const UrlCacheConfig& config, Clock clock) : clock_(std::move(clock)) {
  std::size_t shards = std::bit_floor(std::max<std::size_t>(config.shards, 1));
  while (shards > 1 &&
         (config.max_entries / shards == 0 || config.max_bytes / shards < Map::kNodeBytes)) {
    shards /= 2;
  }
  shards_ = std::make_unique<Shard[]>(shards);
  shard_mask_ = shards - 1;
  max_entries_per_shard_ = config.max_entries / shards;
  max_bytes_per_shard_ = config.max_bytes / shards;
}

UrlCache::~UrlCache() = default;

UrlCache::Shard& UrlCache::ShardFor(std::size_t hash) const {
  // The index buckets by the low bits of the hash; the top bits pick the shard.
  static_assert(sizeof(std::size_t) == 8);
  return shards_[(hash >> 48) & shard_mask_];
}

std::size_t UrlCache::EntryBytes(std::string_view path, std::string_view url) {
  return Map::kNodeBytes + Map::HeapBytes(path.size()) + Map::HeapBytes(url.size());
}

bool UrlCache::Get(std::string_view path, CachedLink& out) {
  const std::size_t hash = std::hash<std::string_view>{}(path);
  Shard& shard = ShardFor(hash);
  const auto now = clock_();
  MutexLock lock(shard.mu);
  const auto it = shard.map.Find(path, hash);
  if (it == shard.map.end()) {
    shard.misses.Add(1);
    return false;
  }
  if (it->value.deadline <= now) {
    Remove(shard, it);
    shard.expirations.Add(1);
    shard.misses.Add(1);
    return false;
  }
  shard.map.Touch(it);
  out.url.assign(it->value.link.url);
  out.expires_at = it->value.link.expires_at;
  shard.hits.Add(1);
  return true;
}

bool UrlCache::Put(std::string_view path, std::string_view url, std::int64_t expires_at,
                   std::chrono::nanoseconds ttl) {
  if (ttl <= std::chrono::nanoseconds::zero() || max_entries_per_shard_ == 0 ||
      EntryBytes(path, url) > max_bytes_per_shard_) {
    Erase(path);
    return false;
  }
  const std::size_t hash = std::hash<std::string_view>{}(path);
  Shard& shard = ShardFor(hash);
  const auto now = clock_();
  MutexLock lock(shard.mu);
  auto it = shard.map.Find(path, hash);
  if (it == shard.map.end()) {
    it =
        shard.map.Insert(path, hash, Value{CachedLink{std::string(url), expires_at}, now + ttl, 0});
  } else {
    shard.bytes.Sub(it->value.bytes);
    it->value.link.url.assign(url);  // same-length links reuse the buffer
    it->value.link.expires_at = expires_at;
    it->value.deadline = now + ttl;
    shard.map.Touch(it);
  }
  // Capacities, not lengths: what the allocator really handed out.
  it->value.bytes = Map::kNodeBytes + Map::HeapBytes(it->key.capacity()) +
                    Map::HeapBytes(it->value.link.url.capacity());
  MakeRoom(shard, it->value.bytes, it, now);
  shard.bytes.Add(it->value.bytes);
  shard.entries.Set(shard.map.size());
  return true;
}

void UrlCache::MakeRoom(Shard& shard, std::size_t incoming_bytes, Map::Iter keep,
                        std::chrono::nanoseconds now) {
  while (shard.map.size() > max_entries_per_shard_ ||
         shard.bytes.Read() + incoming_bytes > max_bytes_per_shard_) {
    const auto victim = shard.map.Oldest();
    if (victim == keep) break;  // unreachable: Put checked the entry fits alone
    (victim->value.deadline <= now ? shard.expirations : shard.evictions).Add(1);
    Remove(shard, victim);
  }
}

void UrlCache::Remove(Shard& shard, Map::Iter it) {
  shard.bytes.Sub(it->value.bytes);
  shard.map.Erase(it);
  shard.entries.Set(shard.map.size());
}

bool UrlCache::Erase(std::string_view path) {
  const std::size_t hash = std::hash<std::string_view>{}(path);
  Shard& shard = ShardFor(hash);
  MutexLock lock(shard.mu);
  const auto it = shard.map.Find(path, hash);
  if (it == shard.map.end()) return false;
  Remove(shard, it);
  return true;
}

std::size_t UrlCache::SweepSome(std::size_t per_shard) {
  std::size_t removed = 0;
  for (std::size_t i = 0; i <= shard_mask_; ++i) {
    Shard& shard = shards_[i];
    const auto now = clock_();
    MutexLock lock(shard.mu);
    auto it = shard.map.end();
    for (std::size_t seen = 0; seen < per_shard && it != shard.map.begin(); ++seen) {
      --it;
      if (it->value.deadline > now) continue;
      const auto victim = it++;  // `it` moves toward the LRU end, past the victim
      Remove(shard, victim);
      shard.expirations.Add(1);
      ++removed;
    }
  }
  return removed;
}

UrlCacheStats UrlCache::Stats() const {
  UrlCacheStats total;
  for (std::size_t i = 0; i <= shard_mask_; ++i) {
    const Shard& shard = shards_[i];
    total.hits += shard.hits.Read();
    total.misses += shard.misses.Read();
    total.evictions += shard.evictions.Read();
    total.expirations += shard.expirations.Read();
    total.entries += shard.entries.Read();
    total.bytes += shard.bytes.Read();
  }
  return total;
}

}  // namespace fsvc
