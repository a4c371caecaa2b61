#include "observability/pprof/heap_profiler.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <memory>

#include "external_tools.h"

namespace fsvc::pprof::testdata {
__attribute__((noinline)) std::unique_ptr<char[]> AllocateKnownHeapBuffer(size_t bytes) {
  auto buf = std::make_unique<char[]>(bytes);
  std::memset(buf.get(), 1, bytes);  // resident, and not optimised away
  return buf;
}
}  // namespace fsvc::pprof::testdata

namespace fsvc::pprof {
namespace {

TEST(HeapProfilerTest, ParsesAndUnsamplesHeapV2) {
  auto p = ParseJemallocHeapProfile(
      "heap_v2/524288\n"
      "  t*: 3: 3000 [0: 0]\n"
      "  t0: 3: 3000 [0: 0]\n"
      "@ 0x1001 0x2001\n"
      "  t*: 1: 67108864 [2: 134217728]\n"
      "  t0: 1: 67108864 [2: 134217728]\n"
      "@ 0x3001\n"
      "  t*: 4: 4096 [0: 0]\n"
      "\n"
      "MAPPED_LIBRARIES:\n"
      "55e197299000-55e19729a000 r--p 00000000 fe:00 1 /bin/x\n");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->period, 524288);
  ASSERT_EQ(p->sample_types.size(), 4u);
  EXPECT_EQ(p->sample_types[3].type, "inuse_space");
  ASSERT_EQ(p->samples.size(), 2u);
  // 64 MiB is far above the period: sampled with probability ~1, so no scaling.
  EXPECT_EQ(p->samples[0].values[3], 67108864);
  EXPECT_EQ(p->samples[0].values[1], 134217728);
  EXPECT_EQ(p->samples[0].values[0], 2);
  // Four 1 KiB objects are sampled with probability ~1/512 each: scaled up about 512 times.
  EXPECT_GT(p->samples[1].values[3], 4096 * 400);
  EXPECT_LT(p->samples[1].values[3], 4096 * 600);
  // Return addresses are moved into the call instruction.
  EXPECT_EQ(p->locations[0].address, 0x1000u);
}

TEST(HeapProfilerTest, RejectsOtherFormats) {
  EXPECT_FALSE(ParseJemallocHeapProfile("heap profile: 1: 2 [3: 4] @ heap/1\n").ok());
}

TEST(HeapProfilerTest, KnownLargeBufferAppearsByName) {
  auto sampling = GetHeapSampling();
  if (!sampling.ok()) GTEST_SKIP() << sampling.error().message;
  EXPECT_TRUE(sampling->active);
  EXPECT_EQ(sampling->lg_sample, 19);

  auto buffer = testdata::AllocateKnownHeapBuffer(64 << 20);
  auto profile = CaptureHeapProfile(/*purge_first=*/true);
  ASSERT_TRUE(profile.ok()) << profile.error().message;

  const std::string name = "fsvc::pprof::testdata::AllocateKnownHeapBuffer";
  int64_t inuse = 0;
  for (const Sample& s : profile->samples) {
    for (uint64_t id : s.location_ids) {
      bool hit = false;
      for (const Line& l : profile->locations[id - 1].lines) hit |= l.function == name;
      if (hit) {
        inuse += s.values[3];
        break;
      }
    }
  }
  EXPECT_GE(inuse, 64 << 20);
  EXPECT_LT(inuse, 80 << 20);

  auto gz = EncodeProfileGzipped(*profile);
  ASSERT_TRUE(gz.ok());
  std::string file = testing::WriteTemp("heap.pb.gz", *gz);
  testing::ExpectPprofTopShows(file, {name, "inuse_space"});
  std::filesystem::remove(file);
}

TEST(HeapProfilerTest, SamplingRateIsAdjustable) {
  auto before = GetHeapSampling();
  if (!before.ok()) GTEST_SKIP() << before.error().message;
  ASSERT_TRUE(SetHeapSampling(true, 20).ok());
  EXPECT_EQ(GetHeapSampling()->lg_sample, 20);
  EXPECT_FALSE(SetHeapSampling(true, 99).ok());
  ASSERT_TRUE(SetHeapSampling(before->active, before->lg_sample).ok());
  EXPECT_EQ(GetHeapSampling()->lg_sample, before->lg_sample);
}

}  // namespace
}  // namespace fsvc::pprof
