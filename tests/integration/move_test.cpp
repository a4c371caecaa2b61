// POST /move against the real binary: files and folders renamed in one
// transaction with no byte copied (the blob files stay the same), 409 on a
// taken target unless asked to replace, and links to old paths stop working.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/storage_census.h"
#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

class MoveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>();
    ASSERT_TRUE(server_->Start()) << server_->Stderr();
  }
  static void TearDownTestSuite() { server_.reset(); }

  httplib::Result Move(const nlohmann::json& body) {
    return c_->Post("/move", body.dump(), "application/json");
  }
  void Put(const std::string& path, const std::string& body) {
    auto r = c_->Put("/files/" + path, body, "text/plain");
    ASSERT_TRUE(r && r->status / 100 == 2) << path;
  }
  std::string Body(const std::string& path) {
    auto r = c_->Get("/files/" + path);
    return r && r->status == 200 ? r->body : "<" + std::to_string(r ? r->status : 0) + ">";
  }
  testutil::StorageCensus Blobs() { return testutil::Census(server_->data_dir()); }
  std::unique_ptr<httplib::Client> c_ = server_->Client();
  static std::unique_ptr<ServerProcess> server_;
};
std::unique_ptr<ServerProcess> MoveTest::server_;

TEST_F(MoveTest, RenamesAFileWithoutCopyingIt) {
  Put("m/a.txt", "alpha");
  const auto blobs = Blobs();
  auto r = Move({{"from", "m/a.txt"}, {"to", "n/deep/b.txt"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json(r)["type"], "file");
  EXPECT_EQ(Body("n/deep/b.txt"), "alpha");
  EXPECT_EQ(c_->Get("/files/m/a.txt")->status, 404);
  if (!server_->on_s3()) {  // the local data folder's census; a move on s3 is a copy
    EXPECT_EQ(Blobs(), blobs) << "the same blob, not a copy";
  }
  // The new ancestor folders exist.
  const auto list = Json(c_->Get("/list?path=n/deep"));
  ASSERT_EQ(list["files"].size(), 1u);
  EXPECT_EQ(list["files"][0]["name"], "b.txt");
}

TEST_F(MoveTest, MovesAFolderWithEverythingBelowIt) {
  Put("src/one", "1");
  Put("src/sub/two", "2");
  Put("srcx/other", "x");  // a sibling whose name starts the same stays
  const auto blobs = Blobs();
  auto r = Move({{"from", "src"}, {"to", "dst/moved"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json(r)["type"], "folder");
  EXPECT_EQ(Json(r)["files"], 2);
  EXPECT_EQ(Body("dst/moved/one"), "1");
  EXPECT_EQ(Body("dst/moved/sub/two"), "2");
  EXPECT_EQ(Body("srcx/other"), "x");
  EXPECT_EQ(c_->Get("/list?path=src")->status, 404);
  EXPECT_EQ(Json(c_->Get("/list-folders?path=dst/moved"))["folders"][0]["path"], "dst/moved/sub");
  if (!server_->on_s3()) {
    EXPECT_EQ(Blobs(), blobs);
  }
}

TEST_F(MoveTest, ConflictUnlessReplace) {
  Put("c/from", "new");
  Put("c/to", "old");
  auto taken = Move({{"from", "c/from"}, {"to", "c/to"}});
  EXPECT_EQ(taken->status, 409);
  EXPECT_EQ(ErrorCode(taken), "conflict");
  EXPECT_EQ(Body("c/from"), "new") << "nothing moved";
  EXPECT_EQ(Body("c/to"), "old");
  const auto blobs = Blobs();
  auto replaced = Move({{"from", "c/from"}, {"to", "c/to"}, {"replace", true}});
  EXPECT_EQ(replaced->status, 200) << replaced->body;
  EXPECT_EQ(Json(replaced)["replaced"], true);
  EXPECT_EQ(Body("c/to"), "new");
  if (!server_->on_s3()) {  // the local data folder's census; a move on s3 is a copy
    EXPECT_EQ(Blobs().segment_bytes, blobs.segment_bytes - testutil::SegmentSpan(3))
        << "the replaced content is removed";
  }
  // A folder in the way is a conflict too.
  Put("c/f", "f");
  Put("c/dir/x", "x");
  EXPECT_EQ(Move({{"from", "c/f"}, {"to", "c/dir"}})->status, 409);
}

TEST_F(MoveTest, LinksToTheOldPathStopWorking) {
  Put("l/file", "linked");
  const std::string url = LinkUrl(*c_, "l/file");
  ASSERT_EQ(c_->Get(url)->status, 200);
  ASSERT_EQ(Move({{"from", "l/file"}, {"to", "l/renamed"}})->status, 200);
  EXPECT_EQ(c_->Get(url)->status, 404);
  // A link issued for the path now is for the moved file.
  const std::string fresh = LinkUrl(*c_, "l/renamed");
  EXPECT_EQ(c_->Get(fresh)->body, "linked");
  EXPECT_EQ(LinkUrl(*c_, "l/file").front(), '<') << "no link to a path with no file";
}

TEST_F(MoveTest, BadRequests) {
  Put("b/x", "x");
  EXPECT_EQ(Move({{"from", "b/none"}, {"to", "b/y"}})->status, 404);
  EXPECT_EQ(Move({{"from", "b"}, {"to", "b/inside"}})->status, 400);
  EXPECT_EQ(Move({{"from", "b/x"}, {"to", "b"}})->status, 400);
  EXPECT_EQ(Move({{"from", "b/x"}, {"to", "b/x"}})->status, 400);
  EXPECT_EQ(Move({{"from", "b/x"}, {"to", "../etc"}})->status, 400);
  EXPECT_EQ(Move({{"from", "b/x"}})->status, 400);
  EXPECT_EQ(Move({{"from", "b/x"}, {"to", "b/y"}, {"overwrite", true}})->status, 400);
  EXPECT_EQ(Move({{"from", "b/x"}, {"to", 3}})->status, 400);
  auto not_json = c_->Post("/move", "from=b/x", "application/json");
  EXPECT_EQ(not_json->status, 400);
  EXPECT_EQ(ErrorCode(not_json), "invalid_argument");
  // A file in the way of the target's folders.
  EXPECT_EQ(Move({{"from", "b/x"}, {"to", "b/x2"}})->status, 200);
  Put("b/plain", "p");
  EXPECT_EQ(Move({{"from", "b/x2"}, {"to", "b/plain/under"}})->status, 409);
  EXPECT_EQ(Body("b/x2"), "x");
}

}  // namespace
}  // namespace fsvc::testing
