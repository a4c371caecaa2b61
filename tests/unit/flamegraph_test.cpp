#include "observability/pprof/flamegraph.h"

#include <gtest/gtest.h>

#include <regex>

#include "external_tools.h"

namespace fsvc::pprof {
namespace {

// main -> Serve -> {Hash<int&> (inlined into Serve), Write}; values in CPU nanoseconds.
Profile ThreeFunctionProfile() {
  Profile p;
  p.sample_types = {{"samples", "count"}, {"cpu", "nanoseconds"}};
  uint64_t main_loc = p.InternLocation(0x100);
  uint64_t serve_hash = p.InternLocation(0x200);
  uint64_t write = p.InternLocation(0x300);
  p.locations[main_loc - 1].lines = {{"main", "main", "", 0}};
  // Inlined: innermost first.
  p.locations[serve_hash - 1].lines = {{"Hash<int&>", "Hash<int&>(int&)", "", 0},
                                       {"Serve", "Serve()", "", 0}};
  p.locations[write - 1].lines = {{"Write", "Write()", "", 0}};
  p.samples.push_back({{serve_hash, main_loc}, {3, 3'000'000'000}});
  p.samples.push_back({{write, main_loc}, {1, 1'000'000'000}});
  return p;
}

TEST(FlameGraphTest, FramesNestWithProportionalWidths) {
  FlameGraphOptions options;
  options.title = "cpu <test> & more";
  options.width = 1020;  // 1000 px for the frames
  std::string svg = RenderFlameGraphSvg(ThreeFunctionProfile(), options);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("cpu &lt;test&gt; &amp; more"), std::string::npos);
  EXPECT_EQ(svg.find("<test>"), std::string::npos);  // everything escaped
  EXPECT_NE(svg.find("<title>all (4.00 s, 100.00%)</title>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("<title>Hash&lt;int&amp;&gt; (3.00 s, 75.00%)</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>Write (1.00 s, 25.00%)</title>"), std::string::npos);

  auto width_of = [&](const std::string& name) {
    std::smatch m;
    std::regex re("<title>" + name +
                  " [^<]*</title><rect x=\"[0-9.]+\" y=\"([0-9]+)\" "
                  "width=\"([0-9.]+)\"");
    EXPECT_TRUE(std::regex_search(svg, m, re)) << name;
    return std::pair<double, double>(std::stod(m[2]), std::stod(m[1]));
  };
  auto [all_w, all_y] = width_of("all");
  auto [serve_w, serve_y] = width_of("Serve");
  auto [hash_w, hash_y] = width_of("Hash&lt;int&amp;&gt;");
  EXPECT_NEAR(all_w, 1000, 0.01);
  EXPECT_NEAR(serve_w, 750, 0.01);
  EXPECT_NEAR(hash_w, 750, 0.01);
  // Callees sit above callers; the inlined frame above the function it was inlined into.
  EXPECT_LT(serve_y, all_y);
  EXPECT_LT(hash_y, serve_y);
}

TEST(FlameGraphTest, ChoosesTheSampleType) {
  FlameGraphOptions options;
  options.value_index = 0;
  std::string svg = RenderFlameGraphSvg(ThreeFunctionProfile(), options);
  EXPECT_NE(svg.find("<title>all (4, 100.00%)</title>"), std::string::npos) << svg;
}

TEST(FlameGraphTest, IsWellFormedXml) {
  if (testing::Run("command -v python3").exit_code != 0) GTEST_SKIP() << "no python3";
  std::string file =
      testing::WriteTemp("flame.svg", RenderFlameGraphSvg(ThreeFunctionProfile(), {}));
  auto r = testing::Run(
      "python3 -c 'import sys, xml.dom.minidom; "
      "xml.dom.minidom.parse(sys.argv[1])' " +
      file);
  std::remove(file.c_str());
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(FlameGraphTest, EmptyProfileStillRenders) {
  Profile empty;
  std::string svg = RenderFlameGraphSvg(empty, {});
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(svg.find("<rect x="), std::string::npos);
}

TEST(FlameGraphTest, FormatsUnits) {
  EXPECT_EQ(FormatValue(1'500'000'000, "nanoseconds"), "1.50 s");
  EXPECT_EQ(FormatValue(2'500'000, "nanoseconds"), "2.50 ms");
  EXPECT_EQ(FormatValue(3 << 20, "bytes"), "3.00 MiB");
  EXPECT_EQ(FormatValue(512, "bytes"), "0.5 KiB");
  EXPECT_EQ(FormatValue(7, "count"), "7");
  EXPECT_EQ(FormatValue(7, "widgets"), "7 widgets");
}

}  // namespace
}  // namespace fsvc::pprof
