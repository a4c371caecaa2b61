#include "observability/pprof/profile_proto.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "external_tools.h"
#include "observability/pprof/symbolizer.h"

namespace fsvc::pprof {
namespace {

std::string Gunzip(const std::string& gz) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

Profile KnownProfile() {
  Profile p;
  p.sample_types = {{"samples", "count"}, {"cpu", "nanoseconds"}};
  p.period_type = {"cpu", "nanoseconds"};
  p.period = 10'000'000;
  p.time_nanos = 1'700'000'000'000'000'000;
  p.duration_nanos = 1'000'000'000;
  p.mappings.push_back(
      Mapping{0x1000, 0x9000, 0, "/opt/fsvc/file-service", "abcd", true, true, true, false});
  uint64_t leaf = p.InternLocation(0x1234);
  uint64_t root = p.InternLocation(0x5678);
  p.locations[leaf - 1].mapping_id = 1;
  p.locations[leaf - 1].lines = {
      {"fsvc::KnownHotFunction", "fsvc::KnownHotFunction(int)", "src/hot.cpp", 42}};
  p.locations[root - 1].mapping_id = 1;
  p.locations[root - 1].lines = {{"main", "main", "src/main.cpp", 7}};
  p.samples.push_back({{leaf, root}, {90, 900'000'000}});
  p.samples.push_back({{root}, {10, 100'000'000}});
  return p;
}

TEST(ProfileProtoTest, InternLocationSharesFrames) {
  Profile p;
  EXPECT_EQ(p.InternLocation(0x10), 1u);
  EXPECT_EQ(p.InternLocation(0x20), 2u);
  EXPECT_EQ(p.InternLocation(0x10), 1u);
  ASSERT_EQ(p.locations.size(), 2u);
  EXPECT_EQ(p.locations[1].address, 0x20u);
}

TEST(ProfileProtoTest, EncodingStartsWithSampleTypeAndHoldsStrings) {
  std::string raw = EncodeProfile(KnownProfile());
  ASSERT_FALSE(raw.empty());
  EXPECT_EQ(raw[0], 0x0a);  // field 1 (sample_type), length-delimited
  EXPECT_NE(raw.find("fsvc::KnownHotFunction(int)"), std::string::npos);
  EXPECT_NE(raw.find("src/hot.cpp"), std::string::npos);
}

TEST(ProfileProtoTest, GzipRoundTrips) {
  std::string raw = EncodeProfile(KnownProfile());
  auto gz = Gzip(raw);
  ASSERT_TRUE(gz.ok());
  ASSERT_GE(gz->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
  EXPECT_EQ(Gunzip(*gz), raw);
}

TEST(ProfileProtoTest, StandalonePprofShowsKnownFunction) {
  const std::string& tool = testing::StandalonePprof();
  if (tool.empty()) GTEST_SKIP() << "standalone pprof could not be built (go or sources missing)";
  auto gz = EncodeProfileGzipped(KnownProfile());
  ASSERT_TRUE(gz.ok());
  std::string file = testing::WriteTemp("known.pb.gz", *gz);
  auto r = testing::PprofTop(tool, file);
  std::filesystem::remove(file);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fsvc::KnownHotFunction"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("unrecognized"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("failed"), std::string::npos) << r.output;
}

TEST(ProfileProtoTest, GoToolPprofShowsKnownFunction) {
  if (!testing::HaveGo()) GTEST_SKIP() << "go is not installed";
  auto gz = EncodeProfileGzipped(KnownProfile());
  ASSERT_TRUE(gz.ok());
  std::string file = testing::WriteTemp("known.pb.gz", *gz);
  auto r = testing::PprofTop("go tool pprof", file);
  std::filesystem::remove(file);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fsvc::KnownHotFunction"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("failed"), std::string::npos) << r.output;
}

TEST(ProfileProtoTest, DeltaKeepsWhatChangedWithinTheWindow) {
  auto profile = [](std::vector<std::pair<uint64_t, std::vector<int64_t>>> samples) {
    Profile p;
    p.sample_types = {{"alloc_objects", "count"},
                      {"alloc_space", "bytes"},
                      {"inuse_objects", "count"},
                      {"inuse_space", "bytes"}};
    for (auto& [leaf, values] : samples) {
      p.samples.push_back({{p.InternLocation(leaf), p.InternLocation(0x9000)}, values});
    }
    return p;
  };
  Profile before = profile({{0x1000, {2, 200, 1, 100}}, {0x2000, {5, 500, 5, 500}}});
  before.time_nanos = 111;
  // 0x1000 allocated 3 more and freed its live one; 0x2000 did nothing; 0x3000 is new.
  Profile after =
      profile({{0x3000, {1, 64, 1, 64}}, {0x2000, {5, 500, 5, 500}}, {0x1000, {5, 500, 0, 0}}});
  after.time_nanos = 222;
  const Profile delta = DeltaProfile(before, after);
  EXPECT_EQ(delta.time_nanos, 111);
  ASSERT_EQ(delta.samples.size(), 2u);
  EXPECT_EQ(delta.locations[delta.samples[0].location_ids[0] - 1].address, 0x3000u);
  EXPECT_EQ(delta.samples[0].values, (std::vector<int64_t>{1, 64, 1, 64}));
  EXPECT_EQ(delta.locations[delta.samples[1].location_ids[0] - 1].address, 0x1000u);
  EXPECT_EQ(delta.samples[1].values, (std::vector<int64_t>{3, 300, -1, -100}));
}

}  // namespace
}  // namespace fsvc::pprof
