// The bad-input catalogue: hostile raw requests sent byte for byte over a
// TCP socket (no HTTP client smoothing them out), each with the status it
// must get (0: the server closes without an answer). After the whole
// catalogue the server still answers and the data folder holds exactly what
// it held before: no new blob, row or temp file.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "raw_http.h"
#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string Get(const std::string& target, const std::string& headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + headers + "\r\n";
}

std::string WithBody(const std::string& method, const std::string& target,
                     const std::string& headers, const std::string& body) {
  return method + " " + target +
         " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         headers + "\r\n" + body;
}

// A multipart request to `target` with `boundary` declared and `body` sent.
std::string Multipart(const std::string& target, const std::string& boundary,
                      const std::string& body) {
  return WithBody("POST", target,
                  "Content-Type: multipart/form-data; boundary=" + boundary + "\r\n", body);
}

std::string FilePart(const std::string& boundary, const std::string& disposition,
                     const std::string& content) {
  return "--" + boundary + "\r\n" + disposition + "\r\nContent-Type: text/plain\r\n\r\n" + content +
         "\r\n";
}

std::string Form(const std::string& filename) {
  return FilePart("xB",
                  "Content-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"",
                  "hostile") +
         "--xB--\r\n";
}

// Appended after a body whose framing is ambiguous: a 2xx answer to it would
// mean the server parsed the body's end differently from its start.
const std::string kSmuggled = "GET /ping HTTP/1.1\r\nHost: t\r\n\r\n";

struct Case {
  const char* name;
  std::string request;
  int status;  // 0: no response, the connection just closes
};

std::vector<Case> Catalogue() {
  using namespace std::string_literals;
  const std::string ranges = "Range: bytes=" + Repeat("0-0,", 9999) + "0-0\r\n";
  const std::string ranges_1000 = "Range: bytes=" + Repeat("0-0,", 999) + "0-0\r\n";
  const std::string flood = Repeat("X-Flood: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 10000);
  const std::string long_segment(300, 'n');
  const std::string long_path = Repeat("abcdefghi/", 120) + "f.txt";
  return {
      // Traversal, in every encoding: refused as an invalid path, never resolved.
      {"dotdot plain", Get("/files/../../etc/passwd"), 400},
      {"dotdot inside", Get("/files/docs/../../../etc/passwd"), 400},
      {"dotdot percent", Get("/files/%2e%2e/%2e%2e/etc/passwd"), 400},
      {"dotdot percent upper", Get("/files/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd"), 400},
      {"dotdot mixed", Get("/files/..%2f..%2fetc%2fpasswd"), 400},
      {"dotdot double encoded is a literal name", Get("/files/%252e%252e%252fetc%252fpasswd"), 404},
      {"dotdot backslash", Get("/files/..%5c..%5cetc%5cpasswd"), 400},
      {"dotdot raw backslash", Get("/files/..\\..\\etc\\passwd"), 400},
      {"dotdot overlong utf8", Get("/files/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd"), 400},
      {"dotdot fullwidth dots are a literal name", Get("/files/%ef%bc%8e%ef%bc%8e/x"), 404},
      {"dot segment", Get("/files/docs/./a.txt"), 400},
      {"absolute path", Get("/files//etc/passwd"), 400},
      {"empty segment", Get("/files/docs//a.txt"), 400},
      {"nul in path", Get("/files/docs/a.txt%00.png"), 400},
      {"newline in path matches no route", Get("/files/docs/a%0a.txt"), 404},
      {"control char in path", Get("/files/docs/a%01.txt"), 400},
      {"list traversal", Get("/list?path=../.."), 400},
      {"list traversal encoded", Get("/list?path=%2e%2e%2f%2e%2e"), 400},
      {"list-folders traversal", Get("/list-folders?path=docs/../.."), 400},
      {"delete traversal", "DELETE /delete?path=../metadata.db HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"delete-folder traversal", "DELETE /delete-folder?path=.. HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"put traversal", WithBody("PUT", "/files/../escape.txt", "", "escaped"), 400},
      {"put traversal encoded", WithBody("PUT", "/files/%2e%2e%2fescape.txt", "", "escaped"), 400},
      {"create-folder traversal", WithBody("POST", "/create-folder?path=../x", "", ""), 400},
      {"upload filename traversal", Multipart("/upload", "xB", Form("../../escape.txt")), 400},
      {"upload filename backslash", Multipart("/upload", "xB", Form("..\\..\\escape.txt")), 400},
      {"upload filename absolute", Multipart("/upload", "xB", Form("/etc/cron.d/x")), 400},
      {"upload folder field traversal",
       Multipart("/upload", "xB",
                 FilePart("xB", "Content-Disposition: form-data; name=\"path\"", "../..") +
                     Form("x.txt")),
       400},

      // Content-Length abuse.
      {"content-length of 1000 TiB",
       "PUT /files/big.bin HTTP/1.1\r\nHost: t\r\nContent-Length: 1099511627776000\r\n\r\nx", 413},
      {"content-length overflow",
       "PUT /files/big.bin HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\nx",
       413},
      {"content-length negative",
       "PUT /files/neg.bin HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\nx", 413},
      {"content-length over small-body limit",
       "POST /create-folder?path=a HTTP/1.1\r\nHost: t\r\nContent-Length: 1073741824\r\n\r\n{}",
       413},
      {"content-length not a number",
       "PUT /files/nan.bin HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n" + kSmuggled, 400},
      {"content-length with sign",
       "PUT /files/plus.bin HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\nabc", 400},
      {"content-length twice, differing",
       "PUT /files/two.bin HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: "
       "30\r\n\r\nabc" +
           kSmuggled,
       400},
      {"content-length twice, equal",
       "PUT /files/two.bin HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: "
       "3\r\n\r\nabc",
       400},
      {"transfer-encoding twice",
       "PUT /files/te2.bin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400},
      {"transfer-encoding list",
       "PUT /files/te3.bin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
       "0\r\n\r\n",
       400},
      {"content-length and chunked",
       "PUT /files/te.bin HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: "
       "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
           kSmuggled,
       400},
      {"chunk size not hex",
       "PUT /files/chunk.bin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
       "chunked\r\n\r\nzz\r\nabc\r\n",
       400},
      {"chunk size overflow",
       "PUT /files/chunk.bin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
       "chunked\r\n\r\nffffffffffffffffffff\r\nabc\r\n",
       400},
      {"chunked without last chunk",
       "PUT /files/chunk.bin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
       400},
      {"unknown transfer-encoding",
       "PUT /files/gz.bin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\nabc", 400},
      {"truncated raw body",
       "PUT /files/trunc.bin HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nonly ten b", 400},

      // Range abuse.
      {"range 10000 parts", Get("/files/docs/a.txt", ranges), 400},
      {"range 1000 parts", Get("/files/docs/a.txt", ranges_1000), 200},
      {"range reversed", Get("/files/docs/a.txt", "Range: bytes=4-1\r\n"), 416},
      {"range overflow", Get("/files/docs/a.txt", "Range: bytes=99999999999999999999999-\r\n"),
       416},
      {"range beyond end", Get("/files/docs/a.txt", "Range: bytes=100-200\r\n"), 416},
      {"range negative suffix", Get("/files/docs/a.txt", "Range: bytes=--1\r\n"), 416},
      {"range garbage", Get("/files/docs/a.txt", "Range: \x01\xff\r\n"), 416},

      // Header abuse.
      {"header flood", Get("/ping", flood), 200},
      {"header line 100 KiB", Get("/ping", "X-Big: " + std::string(100 << 10, 'h') + "\r\n"), 400},
      {"header without colon is skipped", Get("/ping", "NoColonHere\r\n"), 200},
      {"header with nul", Get("/ping", "X-Nul: a\0b\r\n"s), 200},
      {"obsolete line folding", Get("/ping", "X-Fold: a\r\n  folded\r\n"), 200},
      {"authorization garbage", Get("/files/docs/a.txt", "Authorization: Bearer \xff\xfe\r\n"),
       200},

      // Request line abuse.
      {"unknown method", "FOO /ping HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"webdav method", "PROPFIND /files/docs HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"lowercase method", "get /ping HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"trace", "TRACE /ping HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"connect", "CONNECT example.com:443 HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"http/2 version", "GET /ping HTTP/2.0\r\nHost: t\r\n\r\n", 400},
      {"http/0.9", "GET /ping\r\n\r\n", 400},
      {"bare lf", "GET /ping HTTP/1.1\nHost: t\n\n", 400},
      {"empty lines only", "\r\n\r\n\r\n", 400},
      {"binary garbage (a TLS hello)", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s, 0},
      {"absolute-form target", Get("http://evil.example/files/docs/a.txt"), 404},
      {"url of 100 KiB", Get("/files/" + std::string(100 << 10, 'u')), 400},
      {"url of 8 KiB", Get("/files/" + std::string(8 << 10, 'u')), 400},
      {"name over 255 bytes", Get("/files/docs/" + long_segment), 400},
      {"path over 1024 bytes", Get("/files/" + long_path), 400},
      {"invalid utf-8 percent", Get("/files/docs/%ff%fe.txt"), 400},
      {"invalid utf-8 raw", Get("/files/docs/\xff\xfe.txt"), 400},
      {"surrogate utf-8", Get("/files/docs/%ed%a0%80.txt"), 400},
      {"nul raw in target", Get("/files/docs/a\0.txt"s), 400},
      {"page size negative", Get("/list?pageSize=-1"), 400},
      {"page size overflow", Get("/list?pageSize=99999999999999999999"), 400},
      {"page size garbage", Get("/list?pageSize=1e3"), 400},
      {"cursor garbage is no injection", Get("/list?cursor=%ff%00'%3b--"), 200},

      // Multipart abuse.
      {"multipart without boundary",
       WithBody("POST", "/upload", "Content-Type: multipart/form-data\r\n", Form("a.txt")), 400},
      {"multipart empty boundary", Multipart("/upload", "", Form("a.txt")), 400},
      {"multipart boundary not in body", Multipart("/upload", "other", Form("a.txt")), 400},
      {"multipart boundary 200 chars", Multipart("/upload", std::string(200, 'b'), Form("a.txt")),
       400},
      {"multipart part without disposition",
       Multipart("/upload", "xB", "--xB\r\nContent-Type: text/plain\r\n\r\nabc\r\n--xB--\r\n"),
       400},
      {"multipart part header 64 KiB",
       Multipart("/upload", "xB",
                 "--xB\r\nX-Big: " + std::string(64 << 10, 'p') + "\r\n\r\nabc\r\n--xB--\r\n"),
       400},
      {"multipart truncated",
       Multipart("/upload", "xB",
                 "--xB\r\nContent-Disposition: form-data; name=\"file\"; "
                 "filename=\"t.txt\"\r\n\r\nno end"),
       400},
      {"multipart nul in filename", Multipart("/upload", "xB", Form("a\0b.txt"s)), 400},
      {"multipart on put",
       WithBody("PUT", "/files/docs/m.txt", "Content-Type: multipart/form-data; boundary=xB\r\n",
                Form("a.txt")),
       400},
      {"multipart declared length shorter",
       "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; "
       "boundary=xB\r\nContent-Length: 10\r\n\r\n" +
           Form("short.txt"),
       400},
      {"batch over the file limit",
       Multipart(
           "/batch-upload", "xB",
           Repeat(
               FilePart("xB", "Content-Disposition: form-data; name=\"file\"; filename=\"f\"", "x"),
               200) +
               "--xB--\r\n"),
       413},
  };
}

int64_t CountRows(const std::string& db_path, const char* table) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    const std::string sql = std::string("SELECT count(*) FROM ") + table;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

TEST(BadInputTest, CatalogueOfHostileRequests) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client();
  ASSERT_EQ(c->Put("/files/docs/a.txt", "alpha", "text/plain")->status, 201);
  const std::string db = server.data_dir() + "/metadata.db";
  const auto files_before = ListFiles(server.data_dir());
  const int64_t rows_before = CountRows(db, "files");
  const int64_t folders_before = CountRows(db, "folders");
  ASSERT_EQ(rows_before, 1);

  const auto catalogue = Catalogue();
  ASSERT_GE(catalogue.size(), 60u);
  for (const Case& k : catalogue) {
    const RawReply reply = SendRaw(server.port(), k.request);
    EXPECT_EQ(reply.status, k.status) << k.name << "\n" << reply.text.substr(0, 600);
    // Whatever follows a malformed request on its connection is never
    // executed.
    EXPECT_EQ(reply.text.find("HTTP/1.1 2", 1), std::string::npos)
        << k.name << ": a second request was smuggled through\n"
        << reply.text.substr(0, 600);
    if (reply.status >= 400) {
      EXPECT_NE(reply.text.find("{\"error\":{\"code\":"), std::string::npos)
          << k.name << ": error without the JSON envelope\n"
          << reply.text.substr(0, 600);
    }
    ASSERT_TRUE(server.Running()) << k.name << " killed the server\n" << server.Stderr();
  }

  EXPECT_EQ(c->Get("/ping")->status, 200);
  EXPECT_EQ(c->Get("/files/docs/a.txt")->body, "alpha");
  EXPECT_EQ(ListFiles(server.data_dir() + "/tmp"), std::vector<std::string>{});
  EXPECT_EQ(CountRows(db, "files"), rows_before);
  EXPECT_EQ(CountRows(db, "folders"), folders_before);
  EXPECT_EQ(ListFiles(server.data_dir()), files_before);
}

TEST(BadInputTest, ConnectionClosesAfterAMalformedRequest) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.Stderr();
  // A broken request line, then a valid request on the same connection:
  // only the 400 comes back, and the connection closes after it.
  const RawReply reply = SendRaw(
      server.port(), "GET /ping HTTP/1.1 trailing junk\r\nHost: t\r\n\r\n" + Get("/ping"));
  EXPECT_EQ(reply.status, 400) << reply.text;
  EXPECT_NE(reply.text.find("Connection: close"), std::string::npos) << reply.text;
  EXPECT_EQ(reply.text.find("HTTP/1.1", 1), std::string::npos) << reply.text;
  EXPECT_NE(reply.text.find("{\"error\":{\"code\":"), std::string::npos) << reply.text;
}

}  // namespace
}  // namespace fsvc::testing
