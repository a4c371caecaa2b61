#include "ratelimit/rate_limiter.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "util/mutex.h"

namespace fsvc {
namespace {

// Oldest entries looked at per Allow() for idleness: amortised O(1), and
// enough to drain idle clients faster than new ones can arrive.
constexpr std::size_t kIdleChecksPerCall = 2;
constexpr double kMinRate = 1e-6;  // one token in about 12 days

std::uint32_t WholeSeconds(double seconds) {
  const double up = std::ceil(std::max(seconds, 0.0));
  return up >= std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                         : static_cast<std::uint32_t>(up);
}

std::string_view TrimSpaces(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

}  // namespace

struct alignas(64) RateLimiter::Shard {
  Mutex mu;
  Map map GUARDED_BY(mu);
  ShardCounter allowed;
  ShardCounter denied;
  ShardCounter clients;
  ShardCounter idle_evictions;
  ShardCounter full_evictions;
};

std::chrono::nanoseconds RateLimiter::MonotonicNow() {
  return std::chrono::steady_clock::now().time_since_epoch();
}

RateLimiter::RateLimiter(const RateLimiterConfig& config, Clock clock)
    : config_(config), clock_(std::move(clock)) {
  // An entry idle for burst/rate is a full bucket, the same as no entry: never
  // drop one sooner, or dropping it would hand out an early refill.
  for (BucketConfig& bucket : config_.buckets) {
    // The config layer rejects these; clamping keeps the arithmetic defined.
    bucket.rate_per_second = std::max(bucket.rate_per_second, kMinRate);
    bucket.burst = std::max(bucket.burst, 1.0);
    const auto refill = std::chrono::duration<double>(bucket.burst / bucket.rate_per_second);
    config_.idle_ttl =
        std::max(config_.idle_ttl, std::chrono::ceil<std::chrono::nanoseconds>(refill));
  }
  const std::size_t max_clients = std::max<std::size_t>(config_.max_clients, 1);
  const std::size_t shards =
      std::bit_floor(std::clamp<std::size_t>(config_.shards, 1, max_clients));
  shards_ = std::make_unique<Shard[]>(shards);
  shard_mask_ = shards - 1;
  max_clients_per_shard_ = max_clients / shards;
}

RateLimiter::~RateLimiter() = default;

Decision RateLimiter::Allow(std::string_view client, RouteClass route_class) {
  const std::size_t hash = std::hash<std::string_view>{}(client);
  Shard& shard = shards_[(hash >> 48) & shard_mask_];
  const auto now = clock_();
  MutexLock lock(shard.mu);
  for (std::size_t i = 0; i < kIdleChecksPerCall && !shard.map.empty(); ++i) {
    const auto oldest = shard.map.Oldest();
    if (now - oldest->value.last_seen < config_.idle_ttl) break;
    shard.map.Erase(oldest);
    shard.idle_evictions.Add(1);
  }
  auto it = shard.map.Find(client, hash);
  if (it == shard.map.end()) {
    if (shard.map.size() >= max_clients_per_shard_) {
      shard.map.Erase(shard.map.Oldest());
      shard.full_evictions.Add(1);
    }
    Client fresh{};
    for (std::size_t c = 0; c < kRouteClassCount; ++c) {
      fresh.buckets[c] = Bucket{config_.buckets[c].burst, now};
    }
    it = shard.map.Insert(client, hash, fresh);
  } else {
    shard.map.Touch(it);
  }
  it->value.last_seen = now;
  const auto c = static_cast<std::size_t>(route_class);
  const Decision decision = Take(it->value.buckets[c], config_.buckets[c], now);
  (decision.allowed ? shard.allowed : shard.denied).Add(1);
  shard.clients.Set(shard.map.size());
  return decision;
}

Decision RateLimiter::Take(Bucket& bucket, const BucketConfig& config,
                           std::chrono::nanoseconds now) {
  if (now > bucket.updated) {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(config.burst, bucket.tokens + elapsed * config.rate_per_second);
    bucket.updated = now;
  }
  Decision decision;
  decision.allowed = bucket.tokens >= 1.0;
  if (decision.allowed) {
    bucket.tokens -= 1.0;
  } else {
    decision.retry_after_seconds =
        std::max<std::uint32_t>(1, WholeSeconds((1.0 - bucket.tokens) / config.rate_per_second));
  }
  decision.limit = WholeSeconds(std::floor(config.burst));
  decision.remaining = WholeSeconds(std::floor(bucket.tokens));
  decision.reset_seconds = WholeSeconds((config.burst - bucket.tokens) / config.rate_per_second);
  return decision;
}

RateLimiterStats RateLimiter::Stats() const {
  RateLimiterStats total;
  for (std::size_t i = 0; i <= shard_mask_; ++i) {
    const Shard& shard = shards_[i];
    total.allowed += shard.allowed.Read();
    total.denied += shard.denied.Read();
    total.clients += shard.clients.Read();
    total.idle_evictions += shard.idle_evictions.Read();
    total.full_evictions += shard.full_evictions.Read();
  }
  return total;
}

std::string_view ClientKey(std::string_view peer_address, std::string_view forwarded_for,
                           unsigned trusted_proxy_hops) {
  std::string_view chosen;
  std::string_view rest = forwarded_for;
  for (unsigned hops = 0; hops < trusted_proxy_hops && !rest.empty();) {
    const auto comma = rest.rfind(',');
    const std::string_view item =
        TrimSpaces(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    if (item.empty()) continue;  // "a,,b": an empty item is no proxy's entry
    chosen = item;
    ++hops;
  }
  return chosen.empty() ? peer_address : chosen;
}

}  // namespace fsvc
