#include "storage/path.h"

#include <gtest/gtest.h>

namespace fsvc {
namespace {

TEST(PathTest, AcceptsOrdinaryPaths) {
  EXPECT_EQ(*NormalizeFilePath("a.txt"), "a.txt");
  EXPECT_EQ(*NormalizeFilePath("docs/2026/report.pdf"), "docs/2026/report.pdf");
  EXPECT_EQ(*NormalizeFilePath("caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.txt"),
            "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.txt");
  EXPECT_EQ(*NormalizeFilePath("..a/b..c/...d"), "..a/b..c/...d");  // dots inside names are fine
}

TEST(PathTest, FolderRootAndTrailingSlash) {
  EXPECT_EQ(*NormalizeFolderPath(""), "");
  EXPECT_EQ(*NormalizeFolderPath("/"), "");
  EXPECT_EQ(*NormalizeFolderPath("a/b/"), "a/b");
  EXPECT_FALSE(NormalizeFolderPath("a//").ok());
  EXPECT_FALSE(NormalizeFilePath("a/b/").ok());
  EXPECT_FALSE(NormalizeFilePath("").ok());
}

// The catalogue of escapes: each must be rejected as invalid_path. URL
// decoding happens before normalisation, so the decoded forms are what
// arrive here; still-encoded forms are harmless literal names.
TEST(PathTest, RejectsTraversalAndHostileNames) {
  const std::string hostile[] = {"..",
                                 "../etc/passwd",
                                 "a/../../b",
                                 "a/./b",
                                 "./a",
                                 "/etc/passwd",
                                 "//server/share",
                                 "a\\..\\b",
                                 "..\\windows",
                                 "a//b",
                                 "a/b/..",
                                 std::string("a\0b", 3),
                                 "a\nb",
                                 "a\rb",
                                 "a\tb",
                                 "\x7f",
                                 "a/\x01",
                                 "\xff\xfe",
                                 "\xc0\xaf",
                                 "\xe0\x80\xaf",
                                 "\xed\xa0\x80",
                                 "\xf4\x90\x80\x80",
                                 "a/\xc3",
                                 "/",
                                 "."};
  for (const auto& p : hostile) {
    auto r = NormalizeFilePath(p);
    ASSERT_FALSE(r.ok()) << "accepted: " << p;
    EXPECT_EQ(r.error().code, Errc::kInvalidPath);
    auto f = NormalizeFolderPath(p);
    if (p != "/") {
      EXPECT_FALSE(f.ok()) << "folder accepted: " << p;
    }
  }
}

TEST(PathTest, LengthLimits) {
  EXPECT_TRUE(NormalizeFilePath(std::string(kMaxSegmentBytes, 'a')).ok());
  EXPECT_FALSE(NormalizeFilePath(std::string(kMaxSegmentBytes + 1, 'a')).ok());
  std::string longest;
  while (longest.size() + 11 <= kMaxPathBytes) longest += "abcdefghij/";
  longest += "x";
  EXPECT_TRUE(NormalizeFilePath(longest).ok()) << longest.size();
  EXPECT_FALSE(NormalizeFilePath(longest + std::string(kMaxPathBytes, 'y')).ok());
}

TEST(PathTest, Helpers) {
  EXPECT_EQ(ParentFolder("a/b/c.txt"), "a/b");
  EXPECT_EQ(ParentFolder("c.txt"), "");
  EXPECT_EQ(BaseName("a/b/c.txt"), "c.txt");
  EXPECT_EQ(BaseName("c.txt"), "c.txt");
  EXPECT_EQ(JoinPath("", "c"), "c");
  EXPECT_EQ(JoinPath("a/b", "c"), "a/b/c");
}

}  // namespace
}  // namespace fsvc
