#include "links/batch_request.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fsvc {
namespace {

using Paths = std::vector<std::string>;

Paths ParseOk(std::string_view body, std::size_t max_paths = 100) {
  auto paths = ParseBatchDownloadRequest(body, max_paths);
  EXPECT_TRUE(paths.ok()) << body << ": " << (paths.ok() ? "" : paths.error().message);
  return paths.ok() ? *paths : Paths{};
}

// Expects `code` and a message that contains `says`.
void ExpectError(std::string_view body, Errc code, std::string_view says,
                 std::size_t max_paths = 100) {
  const auto paths = ParseBatchDownloadRequest(body, max_paths);
  ASSERT_FALSE(paths.ok()) << body;
  EXPECT_EQ(paths.error().code, code) << body;
  EXPECT_NE(paths.error().message.find(says), std::string::npos)
      << body << " -> " << paths.error().message;
}

TEST(BatchRequestTest, ReturnsPathsInOrder) {
  EXPECT_EQ(ParseOk(R"({"paths":["docs/a.txt","img/b c.png","docs/a.txt"]})"),
            (Paths{"docs/a.txt", "img/b c.png", "docs/a.txt"}));
}

TEST(BatchRequestTest, DecodesEscapes) {
  EXPECT_EQ(ParseOk(R"( { "paths" : [ "caf\u00e9/\"q\".txt" ] } )"),
            (Paths{"caf\xc3\xa9/\"q\".txt"}));
}

TEST(BatchRequestTest, IgnoresOtherFieldsWhateverTheyHold) {
  EXPECT_EQ(
      ParseOk(R"({"zip":false,"meta":{"paths":[1],"x":["y"]},"paths":["a"],"tags":[["b"],3]})"),
      (Paths{"a"}));
}

TEST(BatchRequestTest, BodyMustBeAnObject) {
  for (const char* body : {"[]", R"("paths")", "12", "null", R"([{"paths":["a"]}])"}) {
    ExpectError(body, Errc::kInvalidArgument, "must be a JSON object");
  }
}

TEST(BatchRequestTest, PathsMustBePresentOnce) {
  ExpectError("{}", Errc::kInvalidArgument, "missing \"paths\"");
  ExpectError(R"({"other":{"paths":["a"]}})", Errc::kInvalidArgument, "missing \"paths\"");
  ExpectError(R"({"paths":["a"],"paths":["b"]})", Errc::kInvalidArgument, "duplicate");
}

TEST(BatchRequestTest, PathsMustBeANonEmptyArrayOfStrings) {
  ExpectError(R"({"paths":"a"})", Errc::kInvalidArgument, "array of strings");
  ExpectError(R"({"paths":{"a":1}})", Errc::kInvalidArgument, "array of strings");
  ExpectError(R"({"paths":[]})", Errc::kInvalidArgument, "must not be empty");
  ExpectError(R"({"paths":["a",7]})", Errc::kInvalidArgument, "paths[1] must be a string");
  ExpectError(R"({"paths":["a",["b"]]})", Errc::kInvalidArgument, "paths[1] must be a string");
  ExpectError(R"({"paths":[{"p":"a"}]})", Errc::kInvalidArgument, "paths[0] must be a string");
  ExpectError(R"({"paths":[null]})", Errc::kInvalidArgument, "paths[0] must be a string");
}

TEST(BatchRequestTest, CapsTheCount) {
  EXPECT_EQ(ParseOk(R"({"paths":["a","b","c"]})", 3).size(), 3u);
  ExpectError(R"({"paths":["a","b","c","d"]})", Errc::kTooManyFiles, "at most 3 paths", 3);
}

TEST(BatchRequestTest, StopsAtTheCapBeforeReadingTheRest) {
  // Past the cap the body is broken JSON; the count error wins because
  // parsing never gets there.
  ExpectError(R"({"paths":["a","b","c" garbage)", Errc::kTooManyFiles, "at most 2", 2);
}

TEST(BatchRequestTest, MalformedJsonSaysWhere) {
  for (const char* body : {"", "{", R"({"paths":["a")", R"({"paths":["a"]} x)", "{'paths':[]}",
                           R"({"paths":["a",]})"}) {
    ExpectError(body, Errc::kInvalidArgument, "malformed JSON: ");
  }
  ExpectError(R"({"paths":["a"]} x)", Errc::kInvalidArgument, "column");
}

}  // namespace
}  // namespace fsvc
