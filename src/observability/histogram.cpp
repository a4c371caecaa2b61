#include "observability/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "observability/thread_shard.h"

namespace fsvc {
Histogram::Histogram() : shards_(std::make_unique<Shard[]>(kShards)) {}

size_t Histogram::BucketIndex(uint64_t value) {
  constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  value = std::min(value, kMaxValue);
  if (value < kSub) return static_cast<size_t>(value);
  const int exponent = std::bit_width(value) - 1;  // >= kSubBits
  const int shift = exponent - kSubBits;
  return static_cast<size_t>(kSub * (shift + 1) + ((value >> shift) - kSub));
}

uint64_t Histogram::BucketLower(size_t index) {
  constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  if (index < kSub) return index;
  const uint64_t shift = index / kSub - 1;
  return (kSub + index % kSub) << shift;
}

uint64_t Histogram::BucketUpper(size_t index) {
  return index + 1 < kBuckets ? BucketLower(index + 1) - 1 : kMaxValue;
}

void Histogram::Record(uint64_t value) {
  Shard& s = shards_[ThisThreadShard(kShards)];
  s.buckets[BucketIndex(value)].fetch_add(1, std::memory_order_relaxed);
  s.sum.fetch_add(value, std::memory_order_relaxed);
  uint64_t seen = s.max.load(std::memory_order_relaxed);
  while (value > seen && !s.max.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot snap;
  snap.buckets.assign(kBuckets, 0);
  for (size_t i = 0; i < kShards; ++i) {
    const Shard& s = shards_[i];
    for (size_t b = 0; b < kBuckets; ++b) {
      snap.buckets[b] += s.buckets[b].load(std::memory_order_relaxed);
    }
    snap.sum += s.sum.load(std::memory_order_relaxed);
    snap.max = std::max(snap.max, s.max.load(std::memory_order_relaxed));
  }
  // The count is derived from the buckets so that percentiles never run past the end.
  for (uint64_t c : snap.buckets) snap.count += c;
  return snap;
}

void Histogram::Reset() {
  for (size_t i = 0; i < kShards; ++i) {
    Shard& s = shards_[i];
    for (auto& b : s.buckets) b.store(0, std::memory_order_relaxed);
    s.sum.store(0, std::memory_order_relaxed);
    s.max.store(0, std::memory_order_relaxed);
  }
}

uint64_t HistogramSnapshot::Percentile(double q) const {
  if (count == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * count)));
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    seen += buckets[i];
    if (seen >= rank) return std::min(Histogram::BucketUpper(i), max);
  }
  return max;
}

uint64_t HistogramSnapshot::CountAtOrBelow(uint64_t limit) const {
  uint64_t n = 0;
  for (size_t i = 0; i < buckets.size() && Histogram::BucketUpper(i) <= limit; ++i) {
    n += buckets[i];
  }
  return n;
}

}  // namespace fsvc
