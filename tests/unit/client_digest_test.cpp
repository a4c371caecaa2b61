#include "api/client_digest.h"

#include <gtest/gtest.h>

#include "util/base64.h"

namespace fsvc {
namespace {

TEST(Base64, RoundTripsAndRefusesNonCanonicalText) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(Base64Decode("Zm9v"), "foo");
  EXPECT_FALSE(Base64Decode("Zm9vYg"));    // unpadded
  EXPECT_FALSE(Base64Decode("Zm9vYh=="));  // unused bits set
  EXPECT_FALSE(Base64Decode("Zm9v!g=="));
  EXPECT_FALSE(Base64Decode(""));
}

TEST(ExpectedDigests, ReadsEverySupportedHeader) {
  const std::string sha(32, 'a'), md5(16, 'b');
  auto d = ExpectedDigestsFrom(
      {{"content-digest", "sha-512=:AAAA:, sha-256=:" + Base64Encode(sha) + ":;p=1"},
       {"Content-MD5", Base64Encode(md5)},
       {"X-Amz-Checksum-Sha256", Base64Encode(sha)},
       {"Other", "x"}});
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 3u);
  EXPECT_EQ((*d)[0].bytes, sha);
  EXPECT_EQ((*d)[1].algorithm, ExpectedDigest::Algorithm::kMd5);
  EXPECT_EQ((*d)[1].bytes, md5);
  EXPECT_EQ((*d)[2].header, "x-amz-checksum-sha256");
  EXPECT_FALSE(ExpectedDigestsFrom({{"Content-Digest", "sha-256=:" + Base64Encode(md5) + ":"}}));
  EXPECT_FALSE(ExpectedDigestsFrom({{"Content-Digest", "sha-256"}}));
}

TEST(DigestFieldValue, FromHex) {
  EXPECT_EQ(DigestFieldValue("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
}

}  // namespace
}  // namespace fsvc
