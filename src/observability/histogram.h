// Sharded, lock-free histogram of non-negative integers (latencies in microseconds).
//
// Contract: Record is wait-free (relaxed atomic adds on the calling thread's shard, so
// threads rarely share a cache line). Buckets are log-linear: values below 16 are exact,
// above that each power of two is split into 16 equal buckets (relative error < 6.25%).
// Values above kMaxValue land in the last bucket; max is exact. Snapshot merges the shards
// and is consistent per counter, not across them (fine for monitoring). Reset zeroes the
// counters; records racing with it may survive, never corrupt anything.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace fsvc {

struct HistogramSnapshot {
  uint64_t count = 0;
  uint64_t sum = 0;
  uint64_t max = 0;
  std::vector<uint64_t> buckets;

  // The highest value the bucket holding the q-quantile can hold, capped at max; 0 if empty.
  uint64_t Percentile(double q) const;
  // Records in buckets lying entirely at or below `limit` (a lower bound of the exact count).
  uint64_t CountAtOrBelow(uint64_t limit) const;
  double Mean() const { return count == 0 ? 0.0 : static_cast<double>(sum) / count; }
};

class Histogram {
 public:
  static constexpr int kSubBits = 4;  // 16 buckets per power of two
  static constexpr int kMaxExponent = 40;
  static constexpr size_t kBuckets = (1u << kSubBits) * (kMaxExponent - kSubBits + 2);
  static constexpr uint64_t kMaxValue = (uint64_t{1} << (kMaxExponent + 1)) - 1;

  Histogram();
  void Record(uint64_t value);
  HistogramSnapshot Snapshot() const;
  void Reset();

  static size_t BucketIndex(uint64_t value);
  static uint64_t BucketLower(size_t index);
  static uint64_t BucketUpper(size_t index);  // inclusive

 private:
  static constexpr size_t kShards = 16;
  struct alignas(64) Shard {
    std::array<std::atomic<uint64_t>, kBuckets> buckets{};
    std::atomic<uint64_t> sum{0};
    std::atomic<uint64_t> max{0};
  };
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace fsvc
