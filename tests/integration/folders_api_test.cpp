// Folder routes and path safety against the real binary.
#include <gtest/gtest.h>

#include <filesystem>

#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

class FoldersApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ =
        std::make_unique<ServerProcess>(ServerProcess::Options{{"--max-page-size=3"}, {}, {}, ""});
    ASSERT_TRUE(server_->Start()) << server_->Stderr();
  }
  static void TearDownTestSuite() { server_.reset(); }
  std::unique_ptr<httplib::Client> c_ = server_->Client();
  static std::unique_ptr<ServerProcess> server_;
};
std::unique_ptr<ServerProcess> FoldersApiTest::server_;

TEST_F(FoldersApiTest, CreateListAndDeleteFolders) {
  auto created = c_->Post("/create-folder?path=projects/alpha");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(c_->Post("/create-folder?path=projects/alpha")->status, 200);  // idempotent
  EXPECT_EQ(c_->Post("/create-folder?path=")->status, 400);

  auto root = Json(c_->Get("/list-folders?path="));
  ASSERT_TRUE(root["folders"].is_array());
  bool found = false;
  for (const auto& f : root["folders"]) found |= f["path"] == "projects";
  EXPECT_TRUE(found) << root.dump();
  auto sub = Json(c_->Get("/list-folders?path=projects"));
  ASSERT_EQ(sub["folders"].size(), 1u);
  EXPECT_EQ(sub["folders"][0]["name"], "alpha");

  ASSERT_EQ(c_->Put("/files/projects/alpha/x.txt", "x", "text/plain")->status, 201);
  ASSERT_EQ(c_->Put("/files/projects/alpha/deep/y.txt", "y", "text/plain")->status, 201);
  auto del = c_->Delete("/delete-folder?path=projects");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200);
  EXPECT_EQ(Json(del)["files"], 2);
  EXPECT_EQ(c_->Get("/files/projects/alpha/deep/y.txt")->status, 404);
  EXPECT_EQ(c_->Get("/list?path=projects")->status, 404);
  EXPECT_EQ(c_->Delete("/delete-folder?path=projects")->status, 404);
  EXPECT_EQ(c_->Delete("/delete-folder?path=")->status, 400);
}

TEST_F(FoldersApiTest, ListPaginatesInStableOrder) {
  for (const char* n : {"e", "a", "d", "b", "c"}) {
    ASSERT_EQ(c_->Put(std::string("/files/pages/") + n, n, "text/plain")->status, 201);
  }
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto res = c_->Get("/list?path=pages&pageSize=2&cursor=" + cursor);  // names are plain letters
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const auto j = Json(res);
    EXPECT_LE(j["files"].size(), 2u);
    for (const auto& f : j["files"]) seen.push_back(f["name"]);
    cursor = j["next_cursor"].is_null() ? "" : j["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(pages, 3);
  // pageSize is capped (3 here), and must be a positive number.
  EXPECT_EQ(Json(c_->Get("/list?path=pages&pageSize=100"))["files"].size(), 3u);
  EXPECT_EQ(c_->Get("/list?path=pages&pageSize=0")->status, 400);
  EXPECT_EQ(c_->Get("/list?path=pages&pageSize=abc")->status, 400);
  EXPECT_EQ(c_->Get("/list?path=nope")->status, 404);
}

// Every way of naming something outside the data folder, raw and URL-encoded,
// through every route that takes a path. None may succeed, none may crash
// the server, and nothing may appear outside the data folder.
TEST_F(FoldersApiTest, TraversalCatalogueIsRejected) {
  const std::vector<std::string> attempts = {"..",
                                             "../x",
                                             "a/../../x",
                                             "%2e%2e/x",
                                             "%2E%2E%2Fx",
                                             "a/%2e%2e/%2e%2e/x",
                                             "..%2fx",
                                             "..%5cx",
                                             "%5c..%5cx",
                                             "a%00b",
                                             "%00",
                                             "a%0ab",
                                             "%2fetc%2fpasswd",
                                             "/etc/passwd",
                                             "a//b",
                                             "./x",
                                             "a/./x",
                                             "%c0%ae%c0%ae/x",
                                             "%ff",
                                             "x%7f"};
  const std::string outside = std::filesystem::path(server_->data_dir()).parent_path() / "x";
  for (const auto& a : attempts) {
    auto put = c_->Put("/files/" + a, "evil", "text/plain");
    ASSERT_TRUE(put) << a;
    EXPECT_TRUE(put->status == 400 || put->status == 404) << a << " -> " << put->status;
    for (const std::string route :
         {"/list?path=", "/list-folders?path=", "/delete?path=", "/delete-folder?path="}) {
      auto res = route.rfind("/delete", 0) == 0 ? c_->Delete(route + a) : c_->Get(route + a);
      ASSERT_TRUE(res) << route << a;
      EXPECT_TRUE(res->status == 400 || res->status == 404) << route << a << " -> " << res->status;
    }
    // Form fields are not URL-decoded: send the decoded form there.
    const std::string raw = httplib::detail::decode_url(a, false);
    auto upload = c_->Post(
        "/upload", httplib::MultipartFormDataItems{{"file", "e", "f", ""}, {"path", raw, "", ""}});
    ASSERT_TRUE(upload);
    EXPECT_EQ(upload->status, 400) << a;
    auto post = c_->Post("/create-folder?path=" + a);
    EXPECT_EQ(post->status, 400) << a;
  }
  EXPECT_FALSE(std::filesystem::exists(outside));
  EXPECT_EQ(c_->Get("/ping")->status, 200);
}

}  // namespace
}  // namespace fsvc::testing
