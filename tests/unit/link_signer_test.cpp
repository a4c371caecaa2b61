#include "links/link_signer.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace fsvc {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef";
const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

LinkSigner MakeSigner(const std::string& secret = kSecret) {
  auto signer = LinkSigner::Create(secret);
  EXPECT_TRUE(signer.ok());
  return std::move(signer).value();
}

std::string SignOrDie(const LinkSigner& signer, std::int64_t id, std::int64_t expires_at) {
  auto token = signer.Sign(id, expires_at);
  EXPECT_TRUE(token.ok());
  return token.ok() ? *token : std::string();
}

TEST(LinkSignerTest, SignedTokenVerifiesAndIsUrlSafe) {
  const LinkSigner signer = MakeSigner();
  const std::string token = SignOrDie(signer, 42, kNow + 900);
  EXPECT_EQ(token.size(), LinkSigner::kTokenLength);
  EXPECT_EQ(token.find_first_not_of(kAlphabet), std::string::npos);
  const auto claims = signer.Verify(token, kNow);
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->file_id, 42);
  EXPECT_EQ(claims->expires_at, kNow + 900);
}

TEST(LinkSignerTest, CarriesExtremeIds) {
  const LinkSigner signer = MakeSigner();
  for (std::int64_t id : {std::int64_t{-1}, std::int64_t{0}, INT64_MAX, INT64_MIN}) {
    const auto claims = signer.Verify(SignOrDie(signer, id, kNow + 1), kNow);
    ASSERT_TRUE(claims.ok());
    EXPECT_EQ(claims->file_id, id);
  }
}

TEST(LinkSignerTest, ExpiredTokenIsGone) {
  const LinkSigner signer = MakeSigner();
  const std::string token = SignOrDie(signer, 7, kNow);
  const auto at_expiry = signer.Verify(token, kNow);
  ASSERT_FALSE(at_expiry.ok());
  EXPECT_EQ(at_expiry.error().code, Errc::kGone);
  EXPECT_TRUE(signer.Verify(token, kNow - 1).ok());
}

TEST(LinkSignerTest, EveryAlteredCharacterIsForbidden) {
  const LinkSigner signer = MakeSigner();
  const std::string token = SignOrDie(signer, 7, kNow + 60);
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string forged = token;
    forged[i] = forged[i] == 'A' ? 'B' : 'A';
    const auto result = signer.Verify(forged, kNow);
    ASSERT_FALSE(result.ok()) << "position " << i;
    EXPECT_EQ(result.error().code, Errc::kForbidden) << "position " << i;
  }
}

TEST(LinkSignerTest, ForgedExpiredTokenIsForbiddenNotGone) {
  const std::string token = SignOrDie(MakeSigner("another secret, 32 bytes long!!!"), 7, kNow - 60);
  const auto result = MakeSigner().Verify(token, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::kForbidden);
}

TEST(LinkSignerTest, MalformedTokensAreForbidden) {
  const LinkSigner signer = MakeSigner();
  const std::string good = SignOrDie(signer, 7, kNow + 60);
  for (const std::string& bad :
       {std::string(), good.substr(1), good + "A", "+" + good.substr(1), good.substr(1) + "=",
        std::string(LinkSigner::kTokenLength, '/'), std::string(LinkSigner::kTokenLength, 'A')}) {
    const auto result = signer.Verify(bad, kNow);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().code, Errc::kForbidden) << bad;
  }
}

TEST(LinkSignerTest, ClampsExpiryToItsField) {
  const LinkSigner signer = MakeSigner();
  const auto far = signer.Verify(SignOrDie(signer, 1, INT64_MAX), kNow);
  ASSERT_TRUE(far.ok());
  EXPECT_EQ(far->expires_at, 4294967295);
  const auto past = signer.Verify(SignOrDie(signer, 1, -5), kNow);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error().code, Errc::kGone);
}

TEST(LinkSignerTest, RejectsShortSecret) {
  const auto signer = LinkSigner::Create("short");
  ASSERT_FALSE(signer.ok());
  EXPECT_EQ(signer.error().code, Errc::kInvalidArgument);
}

TEST(LinkSignerTest, SharedAcrossThreads) {
  const LinkSigner signer = MakeSigner();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        auto token = signer.Sign(t * 10000 + i, kNow + 60);
        auto claims =
            token.ok() ? signer.Verify(*token, kNow) : Result<LinkClaims>(Errc::kInternal, "");
        if (!claims.ok() || claims->file_id != t * 10000 + i) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "link-secret-XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(LoadOrCreateSecretTest, PersistsAcrossCalls) {
  TempDir dir;
  const auto first = LoadOrCreateSecret(dir.path(), "");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->size(), 32u);
  const std::string file = dir.path() + "/link-secret";
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 65);
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 1u);  // no temp file left behind

  const auto second = LoadOrCreateSecret(dir.path(), "");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, *first);
  // A link handed out before the "restart" still verifies after it.
  const std::string token = SignOrDie(MakeSigner(*first), 99, kNow + 60);
  const auto claims = MakeSigner(*second).Verify(token, kNow);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->file_id, 99);
}

TEST(LoadOrCreateSecretTest, ConfiguredSecretWins) {
  TempDir dir;
  const auto secret = LoadOrCreateSecret(dir.path(), kSecret);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(*secret, kSecret);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/link-secret"));
  const auto too_short = LoadOrCreateSecret(dir.path(), "abc");
  ASSERT_FALSE(too_short.ok());
  EXPECT_EQ(too_short.error().code, Errc::kInvalidArgument);
}

TEST(LoadOrCreateSecretTest, CorruptFileIsAnErrorNotReplaced) {
  TempDir dir;
  const std::string file = dir.path() + "/link-secret";
  std::ofstream(file) << "not hex at all\n";
  const auto secret = LoadOrCreateSecret(dir.path(), "");
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().code, Errc::kInternal);
  EXPECT_NE(secret.error().message.find("corrupt"), std::string::npos);
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "not hex at all");
}

TEST(LoadOrCreateSecretTest, ReadsAnOperatorWrittenHexSecret) {
  TempDir dir;
  std::ofstream(dir.path() + "/link-secret") << "00112233445566778899AABBCCDDEEFF\n";
  const auto secret = LoadOrCreateSecret(dir.path(), "");
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(*secret,
            std::string("\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16));
}

TEST(LoadOrCreateSecretTest, MissingFolderIsAnError) {
  const auto secret = LoadOrCreateSecret("/nonexistent/fsvc-test", "");
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().code, Errc::kInternal);
}

}  // namespace
}  // namespace fsvc
