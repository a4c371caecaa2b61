#include "observability/pprof/cpu_profiler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <future>
#include <thread>

#include "external_tools.h"

// Outside any anonymous namespace so that its name is predictable in the profile.
namespace fsvc::pprof::testdata {
__attribute__((noinline)) uint64_t BurnCpuForProfileTest(const std::atomic<bool>& stop) {
  volatile uint64_t x = 1;
  while (!stop.load(std::memory_order_relaxed)) {
    for (int i = 0; i < 100000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  }
  return x;
}
}  // namespace fsvc::pprof::testdata

namespace fsvc::pprof {
namespace {

std::string Words(std::initializer_list<uint64_t> words) {
  std::string out(words.size() * sizeof(uint64_t), '\0');
  size_t i = 0;
  for (uint64_t w : words) std::memcpy(out.data() + sizeof(uint64_t) * i++, &w, sizeof(w));
  return out;
}

TEST(CpuProfilerTest, ParsesLegacyFormat) {
  auto p = ParseGperftoolsProfile(Words({0, 3, 0, 10000, 0,  // header: 10 ms period
                                         5, 2, 0x1000, 0x2001, 3, 1, 0x1000, 0, 1, 0}) +
                                  "maps text\n");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->period, 10'000'000);
  ASSERT_EQ(p->samples.size(), 2u);
  EXPECT_EQ(p->samples[0].values, (std::vector<int64_t>{5, 50'000'000}));
  // The leaf pc is exact, callers are moved back into the call instruction.
  ASSERT_EQ(p->locations.size(), 2u);
  EXPECT_EQ(p->locations[0].address, 0x1000u);
  EXPECT_EQ(p->locations[1].address, 0x2000u);
  EXPECT_EQ(p->samples[1].location_ids, (std::vector<uint64_t>{1}));
}

TEST(CpuProfilerTest, RejectsGarbageAndTruncation) {
  EXPECT_FALSE(ParseGperftoolsProfile("hello").ok());
  EXPECT_FALSE(ParseGperftoolsProfile(Words({0, 3, 0, 10000, 0, 5, 9, 0x1000})).ok());
}

class CpuCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!CpuProfilerAvailable()) GTEST_SKIP() << "built without gperftools";
  }
};

TEST_F(CpuCaptureTest, BusyFunctionAppearsByNameInBothPprofs) {
  std::atomic<bool> stop{false};
  std::thread burner([&] { testdata::BurnCpuForProfileTest(stop); });
  auto profile = CaptureCpuProfile(std::chrono::milliseconds(1500));
  stop = true;
  burner.join();
  ASSERT_TRUE(profile.ok()) << profile.error().message;
  ASSERT_FALSE(profile->samples.empty());
  EXPECT_GT(profile->duration_nanos, 1'000'000'000);

  auto gz = EncodeProfileGzipped(*profile);
  ASSERT_TRUE(gz.ok());
  std::string file = testing::WriteTemp("cpu.pb.gz", *gz);
  const std::string name = "fsvc::pprof::testdata::BurnCpuForProfileTest";
  const int ran = testing::ExpectPprofTopShows(file, {name});
  std::filesystem::remove(file);
  if (ran == 0) GTEST_SKIP() << "no pprof tool to check with";
}

TEST_F(CpuCaptureTest, SecondConcurrentCaptureConflicts) {
  auto first = std::async(std::launch::async,
                          [] { return CaptureCpuProfile(std::chrono::milliseconds(800)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto second = CaptureCpuProfile(std::chrono::milliseconds(100));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::kConflict);
  EXPECT_TRUE(first.get().ok());
}

TEST_F(CpuCaptureTest, CancelEndsCaptureEarly) {
  std::atomic<bool> cancel{true};
  auto start = std::chrono::steady_clock::now();
  auto profile = CaptureCpuProfile(std::chrono::seconds(30), &cancel);
  ASSERT_TRUE(profile.ok()) << profile.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace fsvc::pprof
