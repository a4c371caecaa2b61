// Per-client token buckets, one per route class, in a bounded client table.
//
// Contract: thread-safe. Allow() takes one token from the client's bucket for
// that route class and says whether the request may proceed, with the figures
// the HTTP layer needs for 429 + Retry-After and the RateLimit-Limit /
// RateLimit-Remaining / RateLimit-Reset headers. A new client starts with a
// full bucket. The table is sharded (each shard its own mutex) and never holds
// more than max_clients: entries idle longer than idle_ttl are dropped as
// Allow() passes them, and a full shard drops its least recently seen client.
// A bucket idle for burst/rate seconds is full again, so dropping an idle
// entry forgets nothing. Time comes from an injected monotonic clock.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "cache/lru_map.h"

namespace fsvc {

// Cheap reads (list, download links, file reads) and costly writes (uploads).
enum class RouteClass : std::uint8_t { kRead = 0, kWrite = 1 };
inline constexpr std::size_t kRouteClassCount = 2;

struct BucketConfig {
  double rate_per_second;  // refill rate; > 0
  double burst;            // bucket size; >= 1
};

struct RateLimiterConfig {
  // Reads as the original service (10/s, burst 30); uploads tighter.
  std::array<BucketConfig, kRouteClassCount> buckets{{{10.0, 30.0}, {5.0, 15.0}}};
  std::size_t max_clients = 16384;
  std::chrono::nanoseconds idle_ttl = std::chrono::minutes(3);
  std::size_t shards = 16;  // rounded down to a power of two, at most max_clients
};

struct Decision {
  bool allowed = false;
  std::uint32_t limit = 0;                // RateLimit-Limit: the burst
  std::uint32_t remaining = 0;            // RateLimit-Remaining: whole tokens left
  std::uint32_t reset_seconds = 0;        // RateLimit-Reset: until the bucket is full
  std::uint32_t retry_after_seconds = 0;  // Retry-After when denied (>= 1), else 0
};

struct RateLimiterStats {
  std::uint64_t allowed = 0;
  std::uint64_t denied = 0;
  std::uint64_t clients = 0;
  std::uint64_t idle_evictions = 0;  // dropped after idle_ttl: harmless
  std::uint64_t full_evictions = 0;  // dropped to stay in bound: the table is too small
};

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::nanoseconds()>;  // monotonic
  static std::chrono::nanoseconds MonotonicNow();

  explicit RateLimiter(const RateLimiterConfig& config, Clock clock = MonotonicNow);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  Decision Allow(std::string_view client, RouteClass route_class);
  RateLimiterStats Stats() const;

 private:
  struct Bucket {
    double tokens;
    std::chrono::nanoseconds updated;
  };
  struct Client {
    std::array<Bucket, kRouteClassCount> buckets;
    std::chrono::nanoseconds last_seen;
  };
  using Map = LruMap<Client>;
  struct Shard;

  static Decision Take(Bucket& bucket, const BucketConfig& config, std::chrono::nanoseconds now);

  RateLimiterConfig config_;
  std::unique_ptr<Shard[]> shards_;
  std::size_t shard_mask_;
  std::size_t max_clients_per_shard_;
  Clock clock_;
};

// The key a client is limited by. With trusted_proxy_hops == 0 it is the peer
// address and X-Forwarded-For is ignored (a client could write anything there).
// Behind N trusted proxies it is the N-th address from the right of
// X-Forwarded-For (each proxy appends the peer it saw), or the leftmost if the
// header holds fewer; the peer address when the header is empty. The result
// views one of the arguments.
std::string_view ClientKey(std::string_view peer_address, std::string_view forwarded_for,
                           unsigned trusted_proxy_hops);

}  // namespace fsvc
