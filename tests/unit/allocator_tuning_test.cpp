#include "observability/allocator_tuning.h"

#include <gtest/gtest.h>

#ifdef FSVC_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include "config/config.h"

namespace fsvc {
namespace {

TEST(AllocatorTuningTest, DecayFollowsTheMemoryLimit) {
  EXPECT_EQ(DeriveDirtyDecayMs(uint64_t{1} << 30), 1000);    // t3.micro
  EXPECT_EQ(DeriveDirtyDecayMs(uint64_t{4} << 30), 5000);    // t3.medium
  EXPECT_EQ(DeriveDirtyDecayMs(uint64_t{64} << 30), 10000);  // jemalloc's own default

  MachineLimits micro;
  micro.memory_limit_bytes = uint64_t{1} << 30;
  micro.physical_memory_bytes = uint64_t{24} << 30;
  EXPECT_EQ(ParseConfig({}, {}, micro)->config.alloc_decay_ms, 1000);
  EXPECT_EQ(ParseConfig({}, {{"ALLOC_DECAY_MS", "250"}}, micro)->config.alloc_decay_ms, 250);
}

TEST(AllocatorTuningTest, AppliesToJemalloc) {
#ifdef FSVC_HAVE_JEMALLOC
  ASSERT_TRUE(ApplyAllocatorDecay(1234).ok());
  ssize_t value = 0;
  size_t len = sizeof value;
  ASSERT_EQ(mallctl("arenas.dirty_decay_ms", &value, &len, nullptr, 0), 0);
  EXPECT_EQ(value, 1234);
  ASSERT_EQ(mallctl("arena.0.dirty_decay_ms", &value, &len, nullptr, 0), 0);
  EXPECT_EQ(value, 1234);
  ASSERT_TRUE(ApplyAllocatorDecay(10000).ok());
#else
  EXPECT_EQ(ApplyAllocatorDecay(1000).error().code, Errc::kUnavailable);
#endif
}

}  // namespace
}  // namespace fsvc
