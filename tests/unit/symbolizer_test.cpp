#include "observability/pprof/symbolizer.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "external_tools.h"

namespace fsvc::pprof::testdata {
constexpr int kTargetFirstLine = __LINE__ + 1;
__attribute__((noinline)) int SymbolizerTarget(int x) {
  return x * 7 + 3;
}
constexpr int kTargetLastLine = __LINE__ - 1;
}  // namespace fsvc::pprof::testdata

namespace fsvc::pprof {
namespace {

uint64_t TargetAddress() {
  return reinterpret_cast<uint64_t>(&testdata::SymbolizerTarget) + 4;  // inside the function
}

TEST(SymbolizerTest, DisplayNameDropsParametersAndQualifiers) {
  EXPECT_EQ(DisplayName("ns::f<int>(int, char) const"), "ns::f<int>");
  EXPECT_EQ(DisplayName("ns::C::operator()(int) const &"), "ns::C::operator()");
  EXPECT_EQ(DisplayName("(anonymous namespace)::g(std::vector<int, std::allocator<int> >)"),
            "(anonymous namespace)::g");
  EXPECT_EQ(DisplayName("ns::f()::{lambda(int)#1}::operator()(int) const"),
            "ns::f()::{lambda(int)#1}::operator()");
  EXPECT_EQ(DisplayName("main"), "main");
  EXPECT_EQ(DisplayName("(anonymous namespace)"), "(anonymous namespace)");
}

TEST(SymbolizerTest, DemanglesCppOnly) {
  EXPECT_EQ(Demangle("_ZN4fsvc3fooEi"), "fsvc::foo(int)");
  EXPECT_EQ(Demangle("malloc"), "malloc");
}

TEST(SymbolizerTest, NamesFileAndLineOfOurFunction) {
  if (testing::Run("command -v addr2line").exit_code != 0) GTEST_SKIP() << "no binutils";
  Profile p;
  p.InternLocation(TargetAddress());
  Symbolizer::Global().Symbolize(p);
  const Location& loc = p.locations[0];
  ASSERT_FALSE(loc.lines.empty());
  EXPECT_EQ(loc.lines.back().function, "fsvc::pprof::testdata::SymbolizerTarget");
  EXPECT_EQ(loc.lines.back().system_name, "fsvc::pprof::testdata::SymbolizerTarget(int)");
  EXPECT_NE(loc.lines.back().file.find("symbolizer_test.cpp"), std::string::npos);
  EXPECT_GE(loc.lines.back().line, testdata::kTargetFirstLine);
  EXPECT_LE(loc.lines.back().line, testdata::kTargetLastLine);
  // The mapping is our executable, marked as symbolized so pprof never looks for it.
  ASSERT_NE(loc.mapping_id, 0u);
  const Mapping& m = p.mappings[loc.mapping_id - 1];
  EXPECT_NE(m.file.find("unit_tests"), std::string::npos) << m.file;
  EXPECT_TRUE(m.has_functions);
  EXPECT_FALSE(m.build_id.empty());
  EXPECT_GE(TargetAddress(), m.start);
  EXPECT_LT(TargetAddress(), m.limit);
}

TEST(SymbolizerTest, LibraryFunctionsAreNamedFromTheDynamicSymbolTable) {
  Profile p;
  p.InternLocation(reinterpret_cast<uint64_t>(&std::abort));
  Symbolizer::Global().Symbolize(p);
  ASSERT_FALSE(p.locations[0].lines.empty());
  // Where libc has DWARF, addr2line names glibc's internal alias (__GI_abort).
  EXPECT_NE(p.locations[0].lines[0].function.find("abort"), std::string::npos);
  ASSERT_NE(p.locations[0].mapping_id, 0u);
  EXPECT_NE(p.mappings[p.locations[0].mapping_id - 1].file.find("libc"), std::string::npos);
}

TEST(SymbolizerTest, UnknownAddressesGetAHexName) {
  Profile p;
  p.InternLocation(0x10);
  Symbolizer::Global().Symbolize(p);
  ASSERT_EQ(p.locations[0].lines.size(), 1u);
  EXPECT_EQ(p.locations[0].lines[0].function, "0x10");
  EXPECT_EQ(p.locations[0].mapping_id, 0u);
  EXPECT_TRUE(p.mappings.empty());
}

}  // namespace
}  // namespace fsvc::pprof
