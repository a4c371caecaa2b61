// The file routes against the real binary: upload, download, conditional and
// range requests, overwrite, delete, and every error status they can give.
#include <gtest/gtest.h>

#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

class FilesApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>(
        ServerProcess::Options{{"--max-upload-bytes=1M", "--max-batch-files=3"}, {}, {}, ""});
    ASSERT_TRUE(server_->Start()) << server_->Stderr();
  }
  static void TearDownTestSuite() { server_.reset(); }
  std::unique_ptr<httplib::Client> c_ = server_->Client();
  static std::unique_ptr<ServerProcess> server_;
};
std::unique_ptr<ServerProcess> FilesApiTest::server_;

TEST_F(FilesApiTest, PingAndHealth) {
  auto ping = c_->Get("/ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 200);
  EXPECT_EQ(Json(ping)["message"], "pong");
  auto health = c_->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const auto h = Json(health);
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["checks"]["database"], "ok");
  EXPECT_EQ(h["checks"]["data_dir"], "ok");
  EXPECT_TRUE(h["limits"].contains("memory_limit_bytes"));
  // The defaults the service derived from those limits are shown beside them.
  EXPECT_GT(h["sizing"]["threads"].get<int>(), 0);
  EXPECT_GT(h["sizing"]["alloc_decay_ms"].get<int>(), 0);
}

TEST_F(FilesApiTest, PutGetHeadOverwriteDelete) {
  auto put = c_->Put("/files/docs/a.txt", "first version", "text/plain");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 201);
  const auto info = Json(put);
  EXPECT_EQ(info["path"], "docs/a.txt");
  EXPECT_EQ(info["size"], 13);
  EXPECT_EQ(info["sha256"], Sha256Hex("first version"));
  EXPECT_EQ(put->get_header_value("ETag"), "\"" + Sha256Hex("first version") + "\"");

  auto get = c_->Get("/files/docs/a.txt");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "first version");
  EXPECT_EQ(get->get_header_value("Content-Type"), "text/plain");
  EXPECT_EQ(get->get_header_value("Accept-Ranges"), "bytes");

  auto head = c_->Head("/files/docs/a.txt");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("Content-Length"), "13");
  EXPECT_TRUE(head->body.empty());

  auto again = c_->Put("/files/docs/a.txt", "second", "text/plain");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(c_->Get("/files/docs/a.txt")->body, "second");

  auto del = c_->Delete("/delete?path=docs/a.txt");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200);
  auto gone = c_->Get("/files/docs/a.txt");
  EXPECT_EQ(gone->status, 404);
  EXPECT_EQ(ErrorCode(gone), "not_found");
  EXPECT_EQ(c_->Delete("/delete?path=docs/a.txt")->status, 404);
  EXPECT_EQ(c_->Put("/files/rest/x", "x", "text/plain")->status, 201);
  EXPECT_EQ(c_->Delete("/files/rest/x")->status, 200);
}

TEST_F(FilesApiTest, ContentTypeFromExtension) {
  ASSERT_EQ(c_->Put("/files/t/pic.PNG", "png", "application/octet-stream")->status, 201);
  EXPECT_EQ(c_->Get("/files/t/pic.PNG")->get_header_value("Content-Type"), "image/png");
}

TEST_F(FilesApiTest, ConditionalAndRangeRequests) {
  const std::string body = "0123456789";
  ASSERT_EQ(c_->Put("/files/r/digits", body, "text/plain")->status, 201);
  const std::string etag = "\"" + Sha256Hex(body) + "\"";

  auto not_modified = c_->Get("/files/r/digits", {{"If-None-Match", etag}});
  EXPECT_EQ(not_modified->status, 304);
  EXPECT_TRUE(not_modified->body.empty());
  EXPECT_EQ(c_->Get("/files/r/digits", {{"If-None-Match", "\"other\""}})->status, 200);

  auto part = c_->Get("/files/r/digits", {{"Range", "bytes=2-5"}});
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, "2345");
  EXPECT_EQ(part->get_header_value("Content-Range"), "bytes 2-5/10");

  auto suffix = c_->Get("/files/r/digits", {{"Range", "bytes=-3"}});
  EXPECT_EQ(suffix->status, 206);
  EXPECT_EQ(suffix->body, "789");

  auto beyond = c_->Get("/files/r/digits", {{"Range", "bytes=10-"}});
  EXPECT_EQ(beyond->status, 416);
  EXPECT_EQ(beyond->get_header_value("Content-Range"), "bytes */10");
  EXPECT_EQ(ErrorCode(beyond), "range_not_satisfiable");

  // Several ranges are served as the whole file (allowed by RFC 9110).
  auto multi = c_->Get("/files/r/digits", {{"Range", "bytes=0-1,4-5"}});
  EXPECT_EQ(multi->status, 200);
  EXPECT_EQ(multi->body, body);
  // If-Range with a stale validator: the whole file.
  auto stale = c_->Get("/files/r/digits", {{"Range", "bytes=0-1"}, {"If-Range", "\"old\""}});
  EXPECT_EQ(stale->status, 200);
  EXPECT_EQ(stale->body, body);
}

TEST_F(FilesApiTest, MultipartUploadIntoFolder) {
  httplib::MultipartFormDataItems items = {
      {"file", "alpha", "a.txt", "text/plain"},
      {"file", "beta", "b.bin", "application/octet-stream"},
      {"path", "up/load", "", ""},
  };
  auto res = c_->Post("/upload", items);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  const auto j = Json(res);
  ASSERT_EQ(j["files"].size(), 2u);
  EXPECT_EQ(j["files"][0]["path"], "up/load/a.txt");
  EXPECT_EQ(j["files"][1]["sha256"], Sha256Hex("beta"));
  EXPECT_EQ(c_->Get("/files/up/load/b.bin")->body, "beta");
  // The folder may also come in the query string.
  auto q =
      c_->Post("/upload?path=qfolder", httplib::MultipartFormDataItems{{"file", "q", "q.txt", ""}});
  EXPECT_EQ(q->status, 201);
  EXPECT_EQ(c_->Get("/files/qfolder/q.txt")->body, "q");
}

TEST_F(FilesApiTest, UploadErrors) {
  auto none = c_->Post("/upload", httplib::MultipartFormDataItems{{"path", "x", "", ""}});
  EXPECT_EQ(none->status, 400);
  EXPECT_EQ(ErrorCode(none), "invalid_argument");
  auto not_form = c_->Post("/upload", "raw", "text/plain");
  EXPECT_EQ(not_form->status, 400);
  auto bad_name =
      c_->Post("/upload", httplib::MultipartFormDataItems{{"file", "x", "../evil", ""}});
  EXPECT_EQ(bad_name->status, 400);
  EXPECT_EQ(ErrorCode(bad_name), "invalid_path");
  auto too_big = c_->Put("/files/big", std::string((1 << 20) + 1, 'x'), "application/octet-stream");
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);
  EXPECT_EQ(ErrorCode(too_big), "payload_too_large");
  EXPECT_EQ(c_->Get("/files/big")->status, 404);
  ASSERT_LT(c_->Post("/create-folder?path=taken")->status, 300);
  auto conflict = c_->Put("/files/taken", "x", "text/plain");  // a folder stands there
  EXPECT_EQ(conflict->status, 409);
  EXPECT_EQ(ErrorCode(conflict), "conflict");
}

TEST_F(FilesApiTest, BatchUploadReportsPerFile) {
  httplib::MultipartFormDataItems items = {
      {"file", "one", "1.txt", ""},
      {"file", "two", "..", ""},
      {"file", std::string((1 << 20) + 10, 'z'), "big.txt", ""},
      {"path", "batch", "", ""},
  };
  // One part is over the per-file limit; the request as a whole is within
  // the limit plus framing slack, so only that part fails.
  auto res = c_->Post("/batch-upload", items);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 207) << res->body;
  const auto j = Json(res);
  EXPECT_EQ(j["succeeded"], 1);
  EXPECT_EQ(j["failed"], 2);
  EXPECT_EQ(j["results"][0]["status"], 201);
  EXPECT_EQ(j["results"][1]["error"]["code"], "invalid_path");
  EXPECT_EQ(j["results"][2]["error"]["code"], "payload_too_large");
  EXPECT_EQ(c_->Get("/files/batch/1.txt")->body, "one");
  EXPECT_EQ(c_->Get("/files/batch/big.txt")->status, 404);

  httplib::MultipartFormDataItems four = {{"file", "1", "1", ""},
                                          {"file", "2", "2", ""},
                                          {"file", "3", "3", ""},
                                          {"file", "4", "4", ""}};
  auto many = c_->Post("/batch-upload", four);
  EXPECT_EQ(many->status, 413);
  EXPECT_EQ(ErrorCode(many), "too_many_files");
}

TEST_F(FilesApiTest, UnknownRoutesAndMethodsGetJsonErrors) {
  auto missing = c_->Get("/no/such/route");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(ErrorCode(missing), "not_found");
  auto big_body = c_->Post("/create-folder?path=z", std::string(2 << 20, 'x'), "text/plain");
  ASSERT_TRUE(big_body);
  EXPECT_EQ(big_body->status, 413);
  EXPECT_EQ(ErrorCode(big_body), "payload_too_large");
}

}  // namespace
}  // namespace fsvc::testing
