#include "api/preconditions.h"

#include <gtest/gtest.h>

namespace fsvc {
namespace {

TEST(ParseHttpDate, TheThreeFormsOfRfc9110) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), 784111777);
  EXPECT_FALSE(ParseHttpDate("yesterday"));
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
  EXPECT_FALSE(ParseHttpDate(""));
}

TEST(ETagListMatches, StrongAndWeakComparison) {
  EXPECT_TRUE(ETagListMatches("*", "\"a\"", false));
  EXPECT_TRUE(ETagListMatches("\"b\", \"a\"", "\"a\"", false));
  EXPECT_FALSE(ETagListMatches("W/\"a\"", "\"a\"", false));
  EXPECT_TRUE(ETagListMatches("W/\"a\"", "\"a\"", true));
  EXPECT_FALSE(ETagListMatches("\"b\"", "\"a\"", true));
  EXPECT_FALSE(ETagListMatches("", "\"a\"", true));
}

TEST(IfRangeMatches, StrongETagOrTheExactStrongLastModified) {
  FileInfo f;
  f.sha256 = "abc";
  f.modified_ms = 784111777'250;  // Sun, 06 Nov 1994 08:49:37.250 GMT
  const int64_t later = 784111790'000;
  EXPECT_TRUE(IfRangeMatches("\"abc\"", f, later));
  EXPECT_FALSE(IfRangeMatches("W/\"abc\"", f, later));  // weak never matches
  EXPECT_FALSE(IfRangeMatches("\"old\"", f, later));
  EXPECT_TRUE(IfRangeMatches("Sun, 06 Nov 1994 08:49:37 GMT", f, later));
  EXPECT_FALSE(IfRangeMatches("Sun, 06 Nov 1994 08:49:36 GMT", f, later));
  EXPECT_FALSE(IfRangeMatches("Sun, 06 Nov 1994 08:49:38 GMT", f, later));
  // Within the file's own second the date is a weak validator.
  EXPECT_FALSE(IfRangeMatches("Sun, 06 Nov 1994 08:49:37 GMT", f, 784111777'900));
  EXPECT_FALSE(IfRangeMatches("not a date", f, later));
}

}  // namespace
}  // namespace fsvc
