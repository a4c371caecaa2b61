#include "observability/histogram.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace fsvc {
namespace {

TEST(HistogramTest, BucketsAreContiguousAndBounded) {
  for (size_t i = 0; i + 1 < Histogram::kBuckets; ++i) {
    ASSERT_EQ(Histogram::BucketUpper(i) + 1, Histogram::BucketLower(i + 1)) << i;
    ASSERT_EQ(Histogram::BucketIndex(Histogram::BucketLower(i)), i);
    ASSERT_EQ(Histogram::BucketIndex(Histogram::BucketUpper(i)), i);
    // Relative width stays under 1/16 above the exact range.
    if (i >= 16) {
      double width = Histogram::BucketUpper(i) - Histogram::BucketLower(i) + 1;
      ASSERT_LE(width / Histogram::BucketLower(i), 1.0 / 16 + 1e-12);
    }
  }
  EXPECT_EQ(Histogram::BucketIndex(Histogram::kMaxValue + 12345), Histogram::kBuckets - 1);
  EXPECT_EQ(Histogram::BucketIndex(UINT64_MAX), Histogram::kBuckets - 1);
}

TEST(HistogramTest, PercentilesOfUniformValues) {
  Histogram h;
  for (uint64_t v = 1; v <= 10000; ++v) h.Record(v);
  auto s = h.Snapshot();
  EXPECT_EQ(s.count, 10000u);
  EXPECT_EQ(s.max, 10000u);
  EXPECT_EQ(s.sum, 10000u * 10001 / 2);
  auto near = [](uint64_t got, double want) {
    EXPECT_GE(got, want) << want;  // the bucket's upper edge: never under-reports
    EXPECT_LE(got, want * 1.0625 + 1) << want;
  };
  near(s.Percentile(0.50), 5000);
  near(s.Percentile(0.90), 9000);
  near(s.Percentile(0.99), 9900);
  EXPECT_EQ(s.Percentile(1.0), 10000u);
  EXPECT_EQ(Histogram().Snapshot().Percentile(0.5), 0u);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (int i = 0; i < 99; ++i) h.Record(3);
  h.Record(7);
  auto s = h.Snapshot();
  EXPECT_EQ(s.Percentile(0.5), 3u);
  EXPECT_EQ(s.Percentile(0.99), 3u);
  EXPECT_EQ(s.Percentile(1.0), 7u);
  EXPECT_EQ(s.CountAtOrBelow(3), 99u);
  EXPECT_EQ(s.CountAtOrBelow(7), 100u);
}

TEST(HistogramTest, ConcurrentRecordsAreAllCounted) {
  Histogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 20000; ++i) h.Record(static_cast<uint64_t>(t * 1000 + i % 1000));
    });
  }
  for (auto& t : threads) t.join();
  auto s = h.Snapshot();
  EXPECT_EQ(s.count, 160000u);
  EXPECT_EQ(s.max, 7999u);
}

TEST(HistogramTest, ResetZeroes) {
  Histogram h;
  h.Record(100);
  h.Reset();
  auto s = h.Snapshot();
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.sum, 0u);
  EXPECT_EQ(s.max, 0u);
}

}  // namespace
}  // namespace fsvc
