#include "observability/pprof/debug_text.h"

#include <gtest/gtest.h>

#include "observability/pprof/debug_pages.h"
#include "observability/pprof/render.h"

// A function of ours for the symbol lookup: outside anonymous namespaces, not inlined.
namespace fsvc::pprof::testdata {
__attribute__((noinline)) int SymbolLookupTarget(int x) {
  return x * 3 + 1;
}
}  // namespace fsvc::pprof::testdata

namespace fsvc::pprof {
namespace {

Profile HeapProfile() {
  Profile p;
  p.sample_types = {{"alloc_objects", "count"},
                    {"alloc_space", "bytes"},
                    {"inuse_objects", "count"},
                    {"inuse_space", "bytes"}};
  p.period = 524288;
  uint64_t a = p.InternLocation(0x1000);
  uint64_t b = p.InternLocation(0x2000);
  p.locations[a - 1].lines = {
      {"fsvc::Buffer::Grow", "fsvc::Buffer::Grow(unsigned long)", "src/buffer.cpp", 12}};
  p.locations[b - 1].lines = {{"main", "main", "", 0}};
  p.samples.push_back({{b}, {1, 100, 1, 100}});
  p.samples.push_back({{a, b}, {4, 8 << 20, 2, 4 << 20}});
  return p;
}

TEST(DebugTextTest, HeapUsesGoLayoutLargestFirst) {
  std::string t = RenderDebugText(HeapProfile());
  EXPECT_EQ(t.rfind("heap profile: 3: 4194404 [5: 8388708] @ heap/1048576\n", 0), 0u) << t;
  size_t big = t.find("2: 4194304 [4: 8388608] @ 0x1000 0x2000\n");
  size_t small = t.find("1: 100 [1: 100] @ 0x2000\n");
  ASSERT_NE(big, std::string::npos) << t;
  ASSERT_NE(small, std::string::npos) << t;
  EXPECT_LT(big, small);
  EXPECT_NE(t.find("#\t0x1000\tfsvc::Buffer::Grow\tsrc/buffer.cpp:12\n"), std::string::npos) << t;
}

TEST(DebugTextTest, CpuHasTopTableAndStacks) {
  Profile p;
  p.sample_types = {{"samples", "count"}, {"cpu", "nanoseconds"}};
  p.period_type = {"cpu", "nanoseconds"};
  p.period = 10'000'000;
  p.duration_nanos = 2'000'000'000;
  uint64_t leaf = p.InternLocation(0x10);
  uint64_t root = p.InternLocation(0x20);
  p.locations[leaf - 1].lines = {{"Hot", "Hot()", "", 0}};
  p.locations[root - 1].lines = {{"main", "main", "", 0}};
  p.samples.push_back({{leaf, root}, {30, 300'000'000}});
  p.samples.push_back({{root}, {10, 100'000'000}});
  std::string t = RenderDebugText(p);
  EXPECT_NE(t.find("period 10000000 cpu/nanoseconds; duration 2.00 s"), std::string::npos) << t;
  EXPECT_NE(t.find("top functions by cpu (total 400.00 ms)"), std::string::npos) << t;
  // Hot: flat 75%, cum 75%; main: flat 25%, cum 100%; Hot is listed first.
  size_t hot = t.find("#    300.00 ms  75.0%    300.00 ms  75.0%  Hot\n");
  size_t main_row = t.find("#    100.00 ms  25.0%    400.00 ms 100.0%  main\n");
  ASSERT_NE(hot, std::string::npos) << t;
  ASSERT_NE(main_row, std::string::npos) << t;
  EXPECT_LT(hot, main_row);
  EXPECT_NE(t.find("30 300000000 @ 0x10 0x20\n#\t0x10\tHot\n#\t0x20\tmain\n"), std::string::npos)
      << t;
}

TEST(RenderTest, FormatsAndContentTypes) {
  auto proto = RenderProfile(HeapProfile(), ProfileFormat::kProto, "heap");
  ASSERT_TRUE(proto.ok());
  EXPECT_EQ(proto->content_type, "application/octet-stream");
  EXPECT_EQ(proto->content_disposition, "attachment; filename=\"profile\"");
  EXPECT_EQ(static_cast<unsigned char>(proto->body[0]), 0x1f);
  auto text = RenderProfile(HeapProfile(), ProfileFormat::kText, "heap");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->body.rfind("heap profile:", 0), 0u);
  auto svg = RenderProfile(HeapProfile(), ProfileFormat::kFlameGraph, "live heap");
  ASSERT_TRUE(svg.ok());
  EXPECT_EQ(svg->content_type, "image/svg+xml");
  EXPECT_NE(svg->body.find("live heap"), std::string::npos);
}

TEST(DebugPagesTest, IndexCmdlineAndSymbol) {
  auto index = IndexPage();
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  for (const char* link :
       {"profile?seconds=30", "heap", "threads", "flamegraph", "cmdline", "symbol"}) {
    EXPECT_NE(index.body.find(std::string("href=\"") + link), std::string::npos) << link;
  }
  auto cmdline = CmdlinePage();
  EXPECT_NE(cmdline.body.find("unit_tests"), std::string::npos);
  EXPECT_NE(cmdline.body.back(), '\0');

  EXPECT_EQ(SymbolPage("").body, "num_symbols: 1\n");
  char buf[64];
  auto address = reinterpret_cast<uintptr_t>(&testdata::SymbolLookupTarget);
  std::snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(address));
  auto symbols = SymbolPage(std::string(buf) + "+nonsense+0x1");
  EXPECT_NE(symbols.body.find(std::string(buf) + " fsvc::pprof::testdata::SymbolLookupTarget"),
            std::string::npos)
      << symbols.body;
  EXPECT_EQ(symbols.body.find("0x1 "), std::string::npos);  // not code: left out
}

}  // namespace
}  // namespace fsvc::pprof
