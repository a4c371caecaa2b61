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

}  // namespace
}  // namespace fsvc
