#include "links/link_signer.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fsvc {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef";
const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const std::string kSha = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
const std::string kOtherSha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

LinkSigner MakeSigner(const std::string& secret = kSecret) {
  auto signer = LinkSigner::Create(secret);
  EXPECT_TRUE(signer.ok());
  return std::move(signer).value();
}

std::string SignOrDie(const LinkSigner& signer, const std::string& path, std::int64_t expires_at,
                      const std::string& sha = kSha) {
  auto token = signer.Sign(path, sha, expires_at);
  EXPECT_TRUE(token.ok()) << token.error().message;
  return token.ok() ? *token : std::string();
}

TEST(LinkSignerTest, SignedTokenVerifiesAndIsUrlSafe) {
  const LinkSigner signer = MakeSigner();
  const std::string token = SignOrDie(signer, "docs/a.txt", kNow + 900);
  EXPECT_LE(token.size(), LinkSigner::kMaxTokenLength);
  EXPECT_EQ(token.find_first_not_of(kAlphabet), std::string::npos);
  const auto claims = signer.Verify(token, kNow);
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->path, "docs/a.txt");
  EXPECT_EQ(claims->sha256, kSha);
  EXPECT_EQ(claims->expires_at, kNow + 900);
}

TEST(LinkSignerTest, BindsPathAndContent) {
  // The defect this guards: a token that named a row id served whatever file
  // SQLite later gave that id. A token now names path and content.
  const LinkSigner signer = MakeSigner();
  const std::string a = SignOrDie(signer, "x/a.txt", kNow + 60);
  EXPECT_NE(a, SignOrDie(signer, "x/b.txt", kNow + 60));
  EXPECT_NE(a, SignOrDie(signer, "x/a.txt", kNow + 60, kOtherSha));
  const auto claims = signer.Verify(SignOrDie(signer, "x/a.txt", kNow + 60, kOtherSha), kNow);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->sha256, kOtherSha);
  // Upper-case hex in is lower-case hex out: the store's spelling.
  std::string upper = kSha;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(signer.Verify(SignOrDie(signer, "p", kNow + 1, upper), kNow)->sha256, kSha);
}

TEST(LinkSignerTest, CarriesAnyPathBytesUpToTheLimit) {
  const LinkSigner signer = MakeSigner();
  for (const std::string& path :
       {std::string("a"), std::string("ünï/cödé/ファイル.txt"), std::string("sp ace/%2F/?#&="),
        std::string(1, '\0') + "nul", std::string(LinkSigner::kMaxPathBytes, 'p'),
        std::string(LinkSigner::kMaxPathBytes - 1, 'q'),
        std::string(LinkSigner::kMaxPathBytes - 2, 'r')}) {
    const std::string token = SignOrDie(signer, path, kNow + 1);
    EXPECT_LE(token.size(), LinkSigner::kMaxTokenLength);
    const auto claims = signer.Verify(token, kNow);
    ASSERT_TRUE(claims.ok()) << path.size();
    EXPECT_EQ(claims->path, path);
  }
}

TEST(LinkSignerTest, RejectsBadClaimsAtSigning) {
  const LinkSigner signer = MakeSigner();
  for (const auto& [path, sha] : std::vector<std::pair<std::string, std::string>>{
           {"", kSha},
           {std::string(LinkSigner::kMaxPathBytes + 1, 'p'), kSha},
           {"p", ""},
           {"p", kSha.substr(1)},
           {"p", kSha.substr(1) + "g"}}) {
    const auto token = signer.Sign(path, sha, kNow + 60);
    ASSERT_FALSE(token.ok()) << path.size() << " " << sha;
    EXPECT_EQ(token.error().code, Errc::kInvalidArgument);
  }
}

TEST(LinkSignerTest, ExpiredTokenIsGone) {
  const LinkSigner signer = MakeSigner();
  const std::string token = SignOrDie(signer, "p", kNow);
  const auto at_expiry = signer.Verify(token, kNow);
  ASSERT_FALSE(at_expiry.ok());
  EXPECT_EQ(at_expiry.error().code, Errc::kGone);
  EXPECT_TRUE(signer.Verify(token, kNow - 1).ok());
}

TEST(LinkSignerTest, EveryAlteredCharacterIsForbidden) {
  const LinkSigner signer = MakeSigner();
  // Path lengths giving every base64 tail: whole groups, and 1 or 2 spare bytes.
  for (const std::string path : {"abc", "abcd", "abcde"}) {
    const std::string token = SignOrDie(signer, path, kNow + 60);
    for (std::size_t i = 0; i < token.size(); ++i) {
      for (char replacement : {'A', 'B', 'f', '_'}) {
        if (token[i] == replacement) continue;
        std::string forged = token;
        forged[i] = replacement;
        const auto result = signer.Verify(forged, kNow);
        ASSERT_FALSE(result.ok()) << "position " << i << " of " << token.size();
        EXPECT_EQ(result.error().code, Errc::kForbidden) << "position " << i;
      }
    }
  }
}

TEST(LinkSignerTest, ForgedExpiredTokenIsForbiddenNotGone) {
  const std::string token =
      SignOrDie(MakeSigner("another secret, 32 bytes long!!!"), "p", kNow - 60);
  const auto result = MakeSigner().Verify(token, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::kForbidden);
}

TEST(LinkSignerTest, MalformedTokensAreForbidden) {
  const LinkSigner signer = MakeSigner();
  const std::string good = SignOrDie(signer, "p/q", kNow + 60);
  // A version-1 token (row id and expiry) as the previous release made them.
  const std::string v1 = "AQAAAAAAAAAqZVPx5Kq7zOAx4mHfiJNpxsjkYvPq2mHqJhY7RjQU4rFsYbM4oZ3c";
  for (const std::string& bad :
       {std::string(), good.substr(1), good + "A", "+" + good.substr(1), good.substr(1) + "=",
        std::string(good.size(), '/'), std::string(good.size(), 'A'), v1,
        std::string(LinkSigner::kMaxTokenLength + 4, 'A'), good.substr(0, 40)}) {
    const auto result = signer.Verify(bad, kNow);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().code, Errc::kForbidden) << bad;
  }
}

TEST(LinkSignerTest, ClampsExpiryToItsField) {
  const LinkSigner signer = MakeSigner();
  const auto far = signer.Verify(SignOrDie(signer, "p", INT64_MAX), kNow);
  ASSERT_TRUE(far.ok());
  EXPECT_EQ(far->expires_at, 4294967295);
  const auto past = signer.Verify(SignOrDie(signer, "p", -5), kNow);
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
        const std::string path = "t" + std::to_string(t) + "/f" + std::to_string(i);
        auto token = signer.Sign(path, kSha, kNow + 60);
        auto claims =
            token.ok() ? signer.Verify(*token, kNow) : Result<LinkClaims>(Errc::kInternal, "");
        if (!claims.ok() || claims->path != path) ++failures;
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
  const std::string token = SignOrDie(MakeSigner(*first), "kept/link", kNow + 60);
  const auto claims = MakeSigner(*second).Verify(token, kNow);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->path, "kept/link");
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
