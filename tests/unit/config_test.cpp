#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace fsvc {
namespace {

MachineLimits Box(double cpus, uint64_t mem) {
  MachineLimits l;
  l.cgroup_version = "v2";
  l.online_cpus = 8;
  l.cpu_quota_cores = cpus;
  l.memory_limit_bytes = mem;
  l.physical_memory_bytes = uint64_t{64} << 30;
  return l;
}

TEST(ConfigTest, DefaultsFollowTheInstance) {
  auto micro = ParseConfig({}, {}, Box(2, uint64_t{1} << 30));
  auto baseline = ParseConfig({}, {}, Box(0.2, uint64_t{1} << 30));
  ASSERT_TRUE(micro.ok() && baseline.ok());
  EXPECT_EQ(micro->config.threads, 128);
  EXPECT_EQ(baseline->config.threads, 64);  // floor of one CPU's worth
  auto tiny = ParseConfig({}, {}, Box(2, 64u << 20));
  EXPECT_EQ(tiny->config.threads, 16);  // memory-bound, clamped to the minimum
  EXPECT_EQ(micro->config.limits.EffectiveMemory(), uint64_t{1} << 30);
}

TEST(ConfigTest, S3NeedsItsSettingsAndBoundsUploadsByPartBuffers) {
  const std::map<std::string, std::string> s3 = {
      {"STORAGE", "s3"},      {"S3_ENDPOINT", "http://127.0.0.1:9000"},
      {"S3_BUCKET", "b"},     {"S3_ACCESS_KEY", "k"},
      {"S3_SECRET_KEY", "s"}, {"LINK_SECRET", "0123456789abcdef0123456789abcdef"}};
  auto ok = ParseConfig({}, s3, Box(2, uint64_t{1} << 30));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_TRUE(ok->config.s3_storage);
  // 512 MiB of 8 MiB part buffers, not the local backend's 256 uploads.
  EXPECT_EQ(ok->config.max_concurrent_uploads, 64);
  auto local = ParseConfig({}, {}, Box(2, uint64_t{1} << 30));
  EXPECT_EQ(local->config.max_concurrent_uploads, 256);
  for (const char* needed : {"S3_BUCKET", "S3_SECRET_KEY", "LINK_SECRET"}) {
    auto missing = s3;
    missing.erase(needed);
    auto refused = ParseConfig({}, missing, Box(2, uint64_t{1} << 30));
    ASSERT_FALSE(refused.ok()) << needed;
    EXPECT_NE(refused.error().message.find(needed), std::string::npos) << refused.error().message;
  }
  auto tiny_part = ParseConfig({"--s3-part-bytes=1M"}, s3, Box(2, uint64_t{1} << 30));
  EXPECT_FALSE(tiny_part.ok());
  // A key file's trailing newline is not part of the key.
  const std::string file = ::testing::TempDir() + "/fsvc-s3-secret";
  std::ofstream(file) << "from-file\n";
  auto from_file = s3;
  from_file.erase("S3_SECRET_KEY");
  from_file["S3_SECRET_KEY_FILE"] = file;
  auto read = ParseConfig({}, from_file, Box(2, uint64_t{1} << 30));
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->config.s3_secret_key, "from-file");
  std::remove(file.c_str());
  auto both = ParseConfig({"--s3-secret-key-file=/dev/null"}, s3, Box(2, uint64_t{1} << 30));
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("also given directly"), std::string::npos);
}

TEST(ConfigTest, FlagsBeatEnvironmentBeatsDefaults) {
  auto c = ParseConfig({"--port=9000", "--data-dir", "/srv/x", "--enable-profiling"},
                       {{"PORT", "7000"}, {"THREADS", "12"}, {"MAX_UPLOAD_BYTES", "512M"}},
                       Box(1, 1u << 30));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->config.port, 9000);
  EXPECT_EQ(c->config.threads, 12);
  EXPECT_EQ(c->config.data_dir, "/srv/x");
  EXPECT_EQ(c->config.max_upload_bytes, uint64_t{512} << 20);
  EXPECT_TRUE(c->config.enable_profiling);
}

TEST(ConfigTest, BadValuesNameTheSetting) {
  auto bad_port = ParseConfig({"--port=99999"}, {}, Box(1, 1u << 30));
  ASSERT_FALSE(bad_port.ok());
  EXPECT_NE(bad_port.error().message.find("--port"), std::string::npos);
  auto bad_env = ParseConfig({}, {{"DISABLE_RATE_LIMITER", "maybe"}}, Box(1, 1u << 30));
  ASSERT_FALSE(bad_env.ok());
  EXPECT_NE(bad_env.error().message.find("DISABLE_RATE_LIMITER"), std::string::npos);
  EXPECT_FALSE(ParseConfig({"--no-such-flag"}, {}, Box(1, 1u << 30)).ok());
  EXPECT_FALSE(ParseConfig({"--max-upload-bytes=10T"}, {}, Box(1, 1u << 30)).ok());
}

TEST(ConfigTest, HelpListsEveryVariable) {
  auto c = ParseConfig({"--help"}, {}, Box(1, 1u << 30));
  ASSERT_TRUE(c->help_requested);
  const std::string help = ConfigHelp(c->config);
  for (const char* v : {"PORT", "DATA_DIR", "THREADS", "MAX_UPLOAD_BYTES", "ENABLE_PROFILING",
                        "DISABLE_RATE_LIMITER"}) {
    EXPECT_NE(help.find(v), std::string::npos) << v;
  }
}

TEST(ConfigTest, HelpSaysSecretsAreSetNotWhatTheyAre) {
  const std::string link_secret = "S3CR3T-link-secret-0123456789abcdef";
  const std::string api_key = "K3Y-api-key-0123456789abcdef";
  auto c = ParseConfig({"--help", "--api-keys", "admin:" + api_key}, {{"LINK_SECRET", link_secret}},
                       Box(1, 1u << 30));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->config.link_secret, link_secret);  // redaction is only in what is shown
  const std::string help = ConfigHelp(c->config);
  EXPECT_EQ(help.find("S3CR3T"), std::string::npos) << help;
  EXPECT_EQ(help.find("K3Y"), std::string::npos) << help;
  for (const char* v : {"(LINK_SECRET)", "(API_KEYS)"}) {
    const size_t line = help.find(v);
    ASSERT_NE(line, std::string::npos) << v;
    EXPECT_NE(help.substr(line, help.find('\n', line) - line).find("[(set)]"), std::string::npos)
        << v;
  }
}

TEST(ConfigTest, SecretFlagsComeFromTheOptionTable) {
  for (const char* f : {"link-secret", "--link-secret", "api-keys", "--api-keys"}) {
    EXPECT_TRUE(IsSecretFlag(f)) << f;
  }
  // A file name is not a secret; its contents are read, never shown.
  for (const char* f : {"api-keys-file", "port", "link-ttl", "link-secret-x", "", "--"}) {
    EXPECT_FALSE(IsSecretFlag(f)) << f;
  }
}

TEST(ConfigTest, RedactArgsHidesSecretValuesInBothForms) {
  const std::vector<std::string> args = {"file-service",
                                         "--port=8080",
                                         "--link-secret",
                                         "S3CR3T-next-word",
                                         "--api-keys=admin:K3Y-after-equals",
                                         "--data-dir",
                                         "/srv/data",
                                         "--link-secret=",
                                         "--api-keys"};
  const std::vector<std::string> expected = {"file-service",
                                             "--port=8080",
                                             "--link-secret",
                                             "(redacted)",
                                             "--api-keys=(redacted)",
                                             "--data-dir",
                                             "/srv/data",
                                             "--link-secret=(redacted)",
                                             "--api-keys"};  // no value follows: nothing to hide
  EXPECT_EQ(RedactArgs(args), expected);
  // The word after a secret flag is its value even when it looks like a flag.
  EXPECT_EQ(RedactArgs({"--api-keys", "--port=1"}),
            (std::vector<std::string>{"--api-keys", "(redacted)"}));
}

TEST(ConfigTest, ErrorsAboutASecretDoNotRepeatIt) {
  auto empty = ParseConfig({"--link-secret="}, {}, Box(1, 1u << 30));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("--link-secret=(redacted)"), std::string::npos)
      << empty.error().message;
}

// The settings of request bodies, forms and the disk reserve, in the order
// of their declaration.
auto BodyFormAndDisk(const Config& c) {
  return std::tuple(c.min_body_rate, c.body_rate_window_sec, c.max_bodies_per_client,
                    c.max_form_fields, c.max_form_field_bytes, c.disk_reserve_bytes,
                    c.max_header_bytes);
}

TEST(ConfigTest, BodyFormAndDiskSettingsHaveTheirDefaults) {
  auto c = ParseConfig({}, {}, Box(1, 1u << 30));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(BodyFormAndDisk(c->config),
            std::tuple(uint64_t{1024}, 10, 16, 64, uint64_t{64} << 10, uint64_t{8} << 20, 8192));
}

TEST(ConfigTest, BodyFormAndDiskSettingsParse) {
  auto c = ParseConfig(
      {"--max-bodies-per-client=0", "--max-form-field-bytes", "1M", "--max-header-bytes=16384"},
      {{"MIN_BODY_RATE", "2K"},
       {"BODY_RATE_WINDOW", "5"},
       {"MAX_FORM_FIELDS", "10"},
       {"DISK_RESERVE_BYTES", "1G"},
       {"MAX_BODIES_PER_CLIENT", "4"}},  // the flag wins
      Box(1, 1u << 30));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(BodyFormAndDisk(c->config),
            std::tuple(uint64_t{2048}, 5, 0, 10, uint64_t{1} << 20, uint64_t{1} << 30, 16384));
  auto off = ParseConfig({"--min-body-rate=0"}, {}, Box(1, 1u << 30));
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_EQ(off->config.min_body_rate, 0u);
}

TEST(ConfigTest, BodyFormAndDiskSettingsRejectBadValues) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"MIN_BODY_RATE", "fast"},
           {"MIN_BODY_RATE", "1T"},
           {"BODY_RATE_WINDOW", "0"},
           {"BODY_RATE_WINDOW", "3601"},
           {"MAX_BODIES_PER_CLIENT", "-1"},
           {"MAX_BODIES_PER_CLIENT", "many"},
           {"MAX_FORM_FIELDS", "-1"},
           {"MAX_FORM_FIELD_BYTES", "-1"},
           {"MAX_FORM_FIELD_BYTES", "64KB"},
           {"DISK_RESERVE_BYTES", "lots"},
           {"MAX_HEADER_BYTES", "1023"},
           {"MAX_HEADER_BYTES", "16385"},
       }) {
    auto c = ParseConfig({}, {{name, value}}, Box(1, 1u << 30));
    ASSERT_FALSE(c.ok()) << name << "=" << value;
    EXPECT_NE(c.error().message.find(name), std::string::npos) << c.error().message;
  }
}

TEST(ConfigTest, SizesAreCappedSoLimitPlusFramingCannotWrap) {
  auto largest = ParseConfig({"--max-upload-bytes=4294967296G"}, {}, Box(1, 1u << 30));
  ASSERT_TRUE(largest.ok()) << largest.error().message;
  EXPECT_EQ(largest->config.max_upload_bytes, kMaxSizeSetting);
  EXPECT_GT(largest->config.max_upload_bytes + (uint64_t{1} << 20), kMaxSizeSetting);
  for (const char* absurd :
       {"4611686018427387905", "4294967297G", "18446744073709551615", "17179869184G"}) {
    auto c = ParseConfig({std::string("--max-upload-bytes=") + absurd}, {}, Box(1, 1u << 30));
    ASSERT_FALSE(c.ok()) << absurd;
    EXPECT_NE(c.error().message.find("too large (at most 4611686018427387904 bytes)"),
              std::string::npos)
        << c.error().message;
  }
}

}  // namespace
}  // namespace fsvc
