#include "observability/memory_stats.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "external_tools.h"
#include "observability/memory_breakdown.h"

namespace fsvc {
namespace {

TEST(MemoryStatsTest, ThreadStacksLibraryDataAndHeapMappingsFromSmaps) {
  const std::string smaps =
      "55d0a000-55d0b000 r-xp 00000000 fe:00 123 /usr/bin/file-service\n"
      "Rss:                   4 kB\n"
      "Anonymous:             0 kB\n"
      "55d0b000-55d0d000 rw-p 00001000 fe:00 123 /usr/bin/file-service\n"
      "Rss:                   8 kB\n"
      "Anonymous:             8 kB\n"               // relocated: private copies
      "55d0d000-55d10000 rw-p 00000000 00:00 0 \n"  // .bss right after the file
      "Rss:                  12 kB\n"
      "Anonymous:            12 kB\n"
      "55f00000-55f40000 rw-p 00000000 00:00 0                          [heap]\n"
      "Rss:                 256 kB\n"
      "7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
      "Rss:                   0 kB\n"
      "7f0000001000-7f0000801000 rw-p 00000000 00:00 0 \n"
      "Size:               8192 kB\n"
      "Rss:                  24 kB\n"
      "7f0001000000-7f0001400000 rw-p 00000000 00:00 0 \n"  // heap: no guard below
      "Rss:                1024 kB\n"
      "7ffc0000-7ffd0000 rw-p 00000000 00:00 0                          [stack]\n"
      "Rss:                 132 kB\n";
  const SmapsParts parts = ReadSmapsParts(smaps);
  EXPECT_EQ(parts.thread_stacks, (24u + 132u) * 1024);
  EXPECT_EQ(parts.library_data, (8u + 12u) * 1024);
  EXPECT_EQ(parts.heap_mappings, (256u + 1024u) * 1024);  // [heap] and the unguarded mapping
  EXPECT_EQ(ReadSmapsParts("").thread_stacks, 0u);
  EXPECT_EQ(ReadSmapsParts("").library_data, 0u);
}

TEST(MemoryStatsTest, ReadsProcessFigures) {
  std::atomic<bool> stop{false};
  std::thread extra([&] {
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  auto s = ReadMemoryStats(CgroupMemory{"v2", 1u << 30, 12345});
  stop = true;
  extra.join();
  ASSERT_TRUE(s.rss_bytes.has_value());
  EXPECT_GT(*s.rss_bytes, 1u << 20);
  ASSERT_TRUE(s.peak_rss_bytes.has_value());
  EXPECT_GE(*s.peak_rss_bytes, *s.rss_bytes);
  ASSERT_TRUE(s.threads.has_value());
  EXPECT_GE(*s.threads, 2);
  ASSERT_TRUE(s.open_fds.has_value());
  EXPECT_GE(*s.open_fds, 3);  // stdin, stdout, stderr
  ASSERT_TRUE(s.uptime_seconds.has_value());
  EXPECT_GE(*s.uptime_seconds, 0.0);
  EXPECT_LT(*s.uptime_seconds, 3600.0);

  auto j = nlohmann::json::parse(ToJson(s));
  EXPECT_EQ(j["cgroup"]["version"], "v2");
  EXPECT_EQ(j["cgroup"]["memory_limit_bytes"], 1u << 30);
  EXPECT_EQ(j["rss_bytes"], *s.rss_bytes);
}

TEST(MemoryStatsTest, AbsentFiguresAreNull) {
  auto j = nlohmann::json::parse(ToJson(MemoryStats{}));
  EXPECT_TRUE(j["rss_bytes"].is_null());
  EXPECT_TRUE(j["cgroup"]["memory_limit_bytes"].is_null());
  EXPECT_TRUE(j["jemalloc"].is_null());
}

#ifdef FSVC_HAVE_JEMALLOC
TEST(MemoryStatsTest, JemallocSeesAllocationsAndPurgeReleasesThem) {
  auto before = ReadJemallocStats();
  ASSERT_TRUE(before.has_value());
  {
    // Many mid-sized blocks: freed, they stay as dirty pages until decay or a purge (huge
    // blocks would go back to the OS at once and show nothing).
    std::vector<std::unique_ptr<char[]>> blocks;
    for (int i = 0; i < 2048; ++i) {
      blocks.push_back(std::make_unique<char[]>(16 << 10));
      std::memset(blocks.back().get(), 1, 16 << 10);
    }
    auto during = ReadJemallocStats();
    ASSERT_TRUE(during.has_value());
    // Blocks already sitting in the thread cache counted as allocated before: allow slack.
    EXPECT_GE(during->allocated, before->allocated + (30 << 20));
    EXPECT_GE(during->resident, during->allocated);
  }
  auto report = PurgeAndReport([] { return CgroupMemory{}; });
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_TRUE(report->before.jemalloc.has_value());
  ASSERT_TRUE(report->after.jemalloc.has_value());
  EXPECT_LT(report->after.jemalloc->resident + (16 << 20), report->before.jemalloc->resident);
  auto j = nlohmann::json::parse(ToJson(*report));
  EXPECT_GT(j["rss_released_bytes"].get<int64_t>(), 16 << 20);
  EXPECT_TRUE(j["before"]["jemalloc"].is_object());
}
#endif

TEST(MemoryStatsTest, PrometheusOutputPassesPromtool) {
  PrometheusText out;
  WritePrometheus(ReadMemoryStats(CgroupMemory{"v1", 900u << 20, 1u << 20}), out);
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out.text().find("fsvc_cgroup_memory_limit_bytes 943718400"), std::string::npos)
      << out.text();
  if (!testing::ExpectPromtoolClean(out.text())) {
    GTEST_SKIP() << "promtool (Debian package prometheus) is not installed";
  }
}

}  // namespace
}  // namespace fsvc
