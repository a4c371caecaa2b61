// The file routes against the real binary: upload, download, conditional and
// range requests, overwrite, delete, and every error status they can give.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "raw_http.h"
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
  if (server_->on_s3()) {
    EXPECT_EQ(h["checks"]["bucket"], "ok");
  } else {
    EXPECT_EQ(h["checks"]["database"], "ok");
    EXPECT_EQ(h["checks"]["data_dir"], "ok");
  }
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

  // Raw: httplib's client would wait for a 304's Content-Length as a body,
  // though a 304 never has one (RFC 9110 15.4.5).
  const RawReply not_modified =
      SendRaw(server_->port(), "GET /files/r/digits HTTP/1.1\r\nHost: t\r\nIf-None-Match: " + etag +
                                   "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(not_modified.status, 304) << not_modified.text;
  // The length a 200 would have (RFC 9110 8.6), and no body.
  EXPECT_NE(not_modified.text.find("\r\nContent-Length: 10\r\n"), std::string::npos)
      << not_modified.text;
  EXPECT_TRUE(not_modified.text.ends_with("\r\n\r\n")) << not_modified.text;
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
  // If-Range with the current ETag, or with the Last-Modified date once that
  // is a second old (a strong validator): the range.
  const std::string modified = part->get_header_value("Last-Modified");
  auto fresh = c_->Get("/files/r/digits", {{"Range", "bytes=0-1"}, {"If-Range", etag}});
  EXPECT_EQ(fresh->status, 206);
  EXPECT_EQ(fresh->body, "01");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto dated = c_->Get("/files/r/digits", {{"Range", "bytes=0-1"}, {"If-Range", modified}});
  EXPECT_EQ(dated->status, 206);
  EXPECT_EQ(dated->body, "01");
  auto old = c_->Get("/files/r/digits",
                     {{"Range", "bytes=0-1"}, {"If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  EXPECT_EQ(old->status, 200);
  EXPECT_EQ(old->body, body);
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

TEST_F(FilesApiTest, MultipartUploadIsAllOrNothing) {
  ASSERT_LT(c_->Post("/create-folder?path=atomic/taken")->status, 300);
  // The second file cannot be stored (a folder stands at its path): the
  // first, which could, must not be visible either.
  httplib::MultipartFormDataItems items = {
      {"file", "first", "ok.txt", "text/plain"},
      {"file", "second", "taken", "text/plain"},
      {"path", "atomic", "", ""},
  };
  auto res = c_->Post("/upload", items);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 409) << res->body;
  EXPECT_EQ(ErrorCode(res), "conflict");
  EXPECT_EQ(c_->Get("/files/atomic/ok.txt")->status, 404);
  // Two files of one form naming the same path: refused as a whole.
  httplib::MultipartFormDataItems twice = {{"file", "1", "same.txt", ""},
                                           {"file", "2", "same.txt", ""}};
  auto dup = c_->Post("/upload?path=atomic", twice);
  EXPECT_EQ(dup->status, 400) << dup->body;
  EXPECT_EQ(c_->Get("/files/atomic/same.txt")->status, 404);
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

// Header checks here are raw: httplib's client percent-decodes header values.
TEST_F(FilesApiTest, LocationIsPercentEncoded) {
  const RawReply put = SendRaw(server_->port(),
                               "PUT /files/q%3Fx%23y%20z%25.txt HTTP/1.1\r\nHost: t\r\n"
                               "Content-Type: text/plain\r\nContent-Length: 3\r\n"
                               "Connection: close\r\n\r\nodd");
  EXPECT_EQ(put.status, 201) << put.text;
  EXPECT_NE(put.text.find("\r\nLocation: /files/q%3Fx%23y%20z%25.txt\r\n"), std::string::npos)
      << put.text;
  EXPECT_EQ(c_->Get("/files/q%3Fx%23y%20z%25.txt")->body, "odd");
}

TEST_F(FilesApiTest, ActiveContentIsASandboxedAttachment) {
  for (const auto& [name, type] : std::vector<std::pair<std::string, std::string>>{
           {"x/page.html", "text/html"},
           {"x/pic.svg", "image/svg+xml"},
           {"x/feed.xml", "application/xml"},
           {"x/run.js", "text/javascript"},
           {"x/doc.pdf", "application/pdf"},
           {"x/blob.bin", "application/x-unknown"},
       }) {
    ASSERT_EQ(c_->Put("/files/" + name, "<script>alert(1)</script>", type)->status, 201) << name;
    auto res = c_->Get("/files/" + name);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    const std::string base = name.substr(name.rfind('/') + 1);
    EXPECT_EQ(res->get_header_value("Content-Disposition"), "attachment; filename*=UTF-8''" + base)
        << name;
    EXPECT_EQ(res->get_header_value("Content-Security-Policy"), "sandbox") << name;
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff") << name;
  }
  ASSERT_EQ(c_->Put("/files/x/a%20b%25.html", "<b>", "text/html")->status, 201);
  const RawReply odd =
      SendRaw(server_->port(),
              "GET /files/x/a%20b%25.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_NE(
      odd.text.find("\r\nContent-Disposition: attachment; filename*=UTF-8''a%20b%25.html\r\n"),
      std::string::npos)
      << odd.text;
  for (const auto& [name, type] : std::vector<std::pair<std::string, std::string>>{
           {"x/notes.txt", "text/plain; charset=utf-8"},
           {"x/pic.png", "image/png"},
           {"x/clip.mp4", "video/mp4"},
       }) {
    ASSERT_EQ(c_->Put("/files/" + name, "inert", type)->status, 201) << name;
    auto res = c_->Get("/files/" + name);
    ASSERT_TRUE(res);
    EXPECT_FALSE(res->has_header("Content-Disposition")) << name;
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff") << name;
  }
}

TEST_F(FilesApiTest, MultipartMediaTypeIsCaseInsensitive) {
  const std::string form =
      "--xB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"case.txt\"\r\n"
      "Content-Type: text/plain\r\n\r\ncased\r\n--xB--\r\n";
  auto res = c_->Post("/upload?path=mc", form, "Multipart/Form-Data; Boundary=xB");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  EXPECT_EQ(c_->Get("/files/mc/case.txt")->body, "cased");
  auto put = c_->Put("/files/mc/put.txt", form, "MULTIPART/FORM-DATA; boundary=xB");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 400);
}

TEST_F(FilesApiTest, TooManyFormFieldsFailTheUploadWhole) {
  std::string form;
  for (int i = 0; i < 65; ++i) {
    form +=
        "--xB\r\nContent-Disposition: form-data; name=\"f" + std::to_string(i) + "\"\r\n\r\nv\r\n";
  }
  form +=
      "--xB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n\r\nx\r\n"
      "--xB--\r\n";
  auto res = c_->Post("/upload?path=ff", form, "multipart/form-data; boundary=xB");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(ErrorCode(res), "form_too_large");
  EXPECT_EQ(c_->Get("/files/ff/f.txt")->status, 404);
}

TEST_F(FilesApiTest, OpenApiDescribesTheRoutes) {
  auto res = c_->Get("/openapi.json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  const auto doc = nlohmann::json::parse(res->body);
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_TRUE(doc["paths"]["/files/{path}"].contains("put"));
  EXPECT_TRUE(
      doc["paths"]["/upload"]["post"]["requestBody"]["content"].contains("multipart/form-data"));
  EXPECT_EQ(c_->Get("/openapi.json")->body, res->body);
}

}  // namespace
}  // namespace fsvc::testing
