// The bad-input catalogue: hostile raw requests sent byte for byte over a
// TCP socket (no HTTP client smoothing them out), each with the status it
// must get (0: the server closes without an answer). After the whole
// catalogue the server still answers, its peak RSS grew by less than 16 MiB
// and the data folder holds exactly what it held before: no new blob, row or
// temp file.
//
// Then the route matrix: every route x method x body framing, each with the
// status the boundary's rules give it (src/http/boundary.h) and, where a
// body was declared and refused, the connection closed after the one
// response: the body (itself a request) is never parsed as the next one.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
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
      {"newline in path", Get("/files/docs/a%0a.txt"), 400},
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
      // Not a length at all (past 2^62, or signed): malformed framing.
      {"content-length overflow",
       "PUT /files/big.bin HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\nx",
       400},
      {"content-length negative",
       "PUT /files/neg.bin HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\nx", 400},
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
      // Past MAX_HEADER_BYTES (8 KiB): 431, whatever the header.
      {"range 10000 parts", Get("/files/docs/a.txt", ranges), 431},
      {"range 1000 parts", Get("/files/docs/a.txt", ranges_1000), 200},
      // An invalid byte-range-spec is ignored, as src/http/range.h (and RFC
      // 9110 14.2) has it: the whole file. A valid one past the end is 416.
      {"range reversed", Get("/files/docs/a.txt", "Range: bytes=4-1\r\n"), 200},
      {"range overflow", Get("/files/docs/a.txt", "Range: bytes=99999999999999999999999-\r\n"),
       200},
      {"range beyond end", Get("/files/docs/a.txt", "Range: bytes=100-200\r\n"), 416},
      {"range negative suffix", Get("/files/docs/a.txt", "Range: bytes=--1\r\n"), 200},
      {"range garbage", Get("/files/docs/a.txt", "Range: \x01\xff\r\n"), 200},

      // Header abuse.
      {"header flood", Get("/ping", flood), 431},
      {"header line 100 KiB", Get("/ping", "X-Big: " + std::string(100 << 10, 'h') + "\r\n"), 431},
      // Strict header syntax (src/http/request_head.h): where two parsers could
      // disagree, the request is refused.
      {"header without colon", Get("/ping", "NoColonHere\r\n"), 400},
      {"header with nul", Get("/ping", "X-Nul: a\0b\r\n"s), 400},
      {"obsolete line folding", Get("/ping", "X-Fold: a\r\n  folded\r\n"), 400},
      {"authorization garbage", Get("/files/docs/a.txt", "Authorization: Bearer \xff\xfe\r\n"),
       200},

      // Request line abuse.
      // A well-formed method the path has no row for: 405.
      {"unknown method", "FOO /ping HTTP/1.1\r\nHost: t\r\n\r\n", 405},
      {"webdav method", "PROPFIND /files/docs HTTP/1.1\r\nHost: t\r\n\r\n", 405},
      {"lowercase method", "get /ping HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"trace", "TRACE /ping HTTP/1.1\r\nHost: t\r\n\r\n", 405},
      {"connect", "CONNECT example.com:443 HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"http/2 version", "GET /ping HTTP/2.0\r\nHost: t\r\n\r\n", 400},
      {"http/0.9", "GET /ping\r\n\r\n", 400},
      {"bare lf", "GET /ping HTTP/1.1\nHost: t\n\n", 400},
      {"empty lines only", "\r\n\r\n\r\n", 400},
      {"binary garbage (a TLS hello)", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s, 0},
      {"absolute-form target", Get("http://evil.example/files/docs/a.txt"), 400},
      {"url of 100 KiB", Get("/files/" + std::string(100 << 10, 'u')), 431},
      {"url of 8 KiB", Get("/files/" + std::string(8 << 10, 'u')), 414},
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

// What a refused request must leave as it was: the files in the data
// folder, the metadata rows, and no temp file.
struct DataSnapshot {
  std::vector<std::string> files;
  int64_t file_rows = -1;
  int64_t folder_rows = -1;

  static DataSnapshot Of(const ServerProcess& server) {
    if (server.on_s3()) {
      // Files are the keys that are paths; markers end in '/'.
      std::vector<std::string> keys = server.BucketContents();
      const auto count = [&](bool folders) {
        return static_cast<int64_t>(std::count_if(keys.begin(), keys.end(), [&](const auto& k) {
          return !k.starts_with('/') && !k.starts_with("upload:") && k.ends_with('/') == folders;
        }));
      };
      return {keys, count(false), count(true)};
    }
    const std::string db = server.data_dir() + "/metadata.db";
    return {ListFiles(server.data_dir()), CountRows(db, "files"), CountRows(db, "folders")};
  }
};

void ExpectUnchanged(const ServerProcess& server, const DataSnapshot& before) {
  const DataSnapshot now = DataSnapshot::Of(server);
  EXPECT_EQ(ListFiles(server.data_dir() + "/tmp"), std::vector<std::string>{});
  EXPECT_EQ(now.file_rows, before.file_rows);
  EXPECT_EQ(now.folder_rows, before.folder_rows);
  EXPECT_EQ(now.files, before.files);
}

constexpr long kRssGrowthBoundKb = 16 * 1024;
// Sanitizer builds (scripts/sanitize.sh) add shadow memory and quarantine:
// peak RSS says nothing about the service there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kMemoryBoundsApply = false;
#else
constexpr bool kMemoryBoundsApply = true;
#endif

TEST(BadInputTest, CatalogueOfHostileRequests) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client();
  ASSERT_EQ(c->Put("/files/docs/a.txt", "alpha", "text/plain")->status, 201);
  const DataSnapshot before = DataSnapshot::Of(server);
  ASSERT_EQ(before.file_rows, 1);
  const long peak_before = server.PeakRssKb();

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
  ExpectUnchanged(server, before);
  if (kMemoryBoundsApply) {
    EXPECT_LT(server.PeakRssKb() - peak_before, kRssGrowthBoundKb);
  }
}

// ---------------------------------------------------------------------------
// The route matrix.

enum class BodyMode { kNone, kSmall, kStreamed };

struct MethodRow {
  std::string method;  // a GET row serves HEAD too
  BodyMode body;
  int status;  // what the handler answers the matrix's request, once admitted
};

// One path of the route table, with a target chosen so that no admitted
// request changes anything: the file route gets a path the handler refuses,
// the folder and link routes lack their parameter or name a missing one.
struct PathRow {
  std::string target;
  std::vector<MethodRow> methods;  // empty: no route serves this path
};

// `purges`: the build has jemalloc, so /debug/purge can answer 200 (503 otherwise).
std::vector<PathRow> Routes(bool purges) {
  using B = BodyMode;
  return {
      {"/ping", {{"GET", B::kNone, 200}}},
      {"/health", {{"GET", B::kNone, 200}}},
      {"/openapi.json", {{"GET", B::kNone, 200}}},
      {"/metrics", {{"GET", B::kNone, 200}}},
      {"/metrics/requests", {{"GET", B::kNone, 200}}},
      {"/metrics/memory", {{"GET", B::kNone, 200}}},
      {"/metrics/reset", {{"POST", B::kSmall, 200}}},
      {"/files/%2e%2e%2fmatrix.txt",
       {{"PUT", B::kStreamed, 400}, {"GET", B::kNone, 400}, {"DELETE", B::kNone, 400}}},
      {"/delete", {{"DELETE", B::kNone, 400}}},
      {"/upload", {{"POST", B::kStreamed, 400}}},        // not a form
      {"/batch-upload", {{"POST", B::kStreamed, 400}}},  // not a form
      {"/list", {{"GET", B::kNone, 200}}},
      {"/list-folders", {{"GET", B::kNone, 200}}},
      {"/create-folder", {{"POST", B::kSmall, 400}}},  // no path
      {"/delete-folder?path=matrix-missing", {{"DELETE", B::kNone, 404}}},
      {"/download", {{"GET", B::kNone, 400}}},  // no path
      {"/d/not-a-token", {{"GET", B::kNone, 403}}},
      {"/batch-download", {{"POST", B::kSmall, 400}}},  // the body is no JSON
      {"/move", {{"POST", B::kSmall, 400}}},            // the body is no JSON
      {"/debug/purge", {{"POST", B::kSmall, purges ? 200 : 503}}},
      // Served only with ENABLE_PROFILING=true (off here).
      {"/debug/pprof/cmdline", {}},
      {"/nope", {}},
      {"/files", {}},
  };
}

const std::vector<std::string> kMethods = {"GET",    "HEAD",  "PUT",    "POST",
                                           "DELETE", "PATCH", "OPTIONS"};

enum class Framing {
  kNone,
  kLength,
  kChunked,
  kChunkedUpper,
  kChunkedMixed,
  kLengthAndChunked,
  kHugeLength,
  kNegativeLength,
};
const std::vector<Framing> kFramings = {
    Framing::kNone,         Framing::kLength,         Framing::kChunked,
    Framing::kChunkedUpper, Framing::kChunkedMixed,   Framing::kLengthAndChunked,
    Framing::kHugeLength,   Framing::kNegativeLength,
};

const char* FramingName(Framing f) {
  switch (f) {
    case Framing::kNone:
      return "no framing";
    case Framing::kLength:
      return "Content-Length";
    case Framing::kChunked:
      return "chunked";
    case Framing::kChunkedUpper:
      return "CHUNKED";
    case Framing::kChunkedMixed:
      return "ChUnKeD";
    case Framing::kLengthAndChunked:
      return "Content-Length + chunked";
    case Framing::kHugeLength:
      return "Content-Length of 1000 TiB";
    case Framing::kNegativeLength:
      return "Content-Length -1";
  }
  return "?";
}

std::string ChunkedBody(const std::string& body) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", body.size());
  return size + body + "\r\n0\r\n\r\n";
}

// The request for one cell. Every body is itself a request, so a server
// that took the body for the next request would answer twice.
std::string MatrixRequest(const std::string& method, const std::string& target, Framing f) {
  const std::string head = method + " " + target + " HTTP/1.1\r\nHost: t\r\n";
  const std::string& body = kSmuggled;
  const std::string length = "Content-Length: " + std::to_string(body.size()) + "\r\n";
  switch (f) {
    case Framing::kNone:
      return head + "\r\n";
    case Framing::kLength:
      return head + length + "\r\n" + body;
    case Framing::kChunked:
      return head + "Transfer-Encoding: chunked\r\n\r\n" + ChunkedBody(body);
    case Framing::kChunkedUpper:
      return head + "Transfer-Encoding: CHUNKED\r\n\r\n" + ChunkedBody(body);
    case Framing::kChunkedMixed:
      return head + "Transfer-Encoding: ChUnKeD\r\n\r\n" + ChunkedBody(body);
    case Framing::kLengthAndChunked:
      return head + length + "Transfer-Encoding: chunked\r\n\r\n" + ChunkedBody(body) + body;
    case Framing::kHugeLength:
      return head + "Content-Length: 1099511627776000\r\n\r\n" + body;
    case Framing::kNegativeLength:
      return head + "Content-Length: -1\r\n\r\n" + body;
  }
  return head;
}

struct Expected {
  int status = 0;
  bool close = false;  // the connection must close after the response
  std::string allow;   // methods Allow must list (204 and 405)
  std::string rule;    // which rule decided
};

// The boundary's rules, in its order (src/http/boundary.h).
Expected Expect(const PathRow& path, const std::string& method, Framing f) {
  const bool body = f != Framing::kNone;
  if (f == Framing::kLengthAndChunked || f == Framing::kNegativeLength) {
    return {400, true, "", "ambiguous framing"};
  }
  std::string allow;
  for (const MethodRow& m : path.methods) {
    allow += m.method + " ";
    if (m.method == "GET") allow += "HEAD ";
  }
  if (method == "OPTIONS") {
    if (path.methods.empty()) return {404, body, "", "OPTIONS on an unknown path"};
    return {204, body, allow, "OPTIONS"};
  }
  const std::string wanted = method == "HEAD" ? "GET" : method;
  const MethodRow* row = nullptr;
  for (const MethodRow& m : path.methods) {
    if (m.method == wanted) row = &m;
  }
  if (path.methods.empty()) return {404, body, "", "unknown path"};
  if (!row) return {405, body, allow, "wrong method"};
  if (row->body == BodyMode::kNone && body) return {413, true, "", "body on a bodiless route"};
  if (f == Framing::kHugeLength) return {413, true, "", "declared over the limit"};
  if (row->body == BodyMode::kStreamed && !body) return {411, false, "", "upload without framing"};
  return {row->status, false, "", "admitted"};
}

TEST(BadInputTest, EveryRouteMethodAndBodyFraming) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client();
  ASSERT_EQ(c->Put("/files/docs/a.txt", "alpha", "text/plain")->status, 201);
  const DataSnapshot before = DataSnapshot::Of(server);
  const long peak_before = server.PeakRssKb();
  const bool purges = Json(c->Get("/metrics/memory"))["jemalloc"].is_object();

  int cases = 0, failed = 0;
  const auto started = std::chrono::steady_clock::now();
  for (const PathRow& path : Routes(purges)) {
    for (const std::string& method : kMethods) {
      for (Framing f : kFramings) {
        if (failed >= 40) break;  // a broken boundary fails here, not in 20 minutes
        ++cases;
        const Expected want = Expect(path, method, f);
        const bool head = method == "HEAD";
        const std::string name =
            method + " " + path.target + " with " + FramingName(f) + " (" + want.rule + ")";
        RawConnection conn(server.port());
        ASSERT_TRUE(conn.connected()) << name;
        conn.Send(MatrixRequest(method, path.target, f));
        const std::optional<HttpResponse> r = conn.Read(std::chrono::seconds(5), head);
        if (want.close) conn.WaitClosed(std::chrono::seconds(3));
        conn.Pump();
        const std::string shown = conn.received().substr(0, 600);
        bool ok = r.has_value();
        EXPECT_TRUE(r) << name << ": no response\n" << shown;
        if (r) {
          ok &= r->status == want.status;
          EXPECT_EQ(r->status, want.status) << name << "\n" << shown;
          if (!want.allow.empty()) {
            const std::string allow = r->Header("Allow");
            for (size_t at = 0; at < want.allow.size();) {
              const size_t sp = want.allow.find(' ', at);
              const std::string m = want.allow.substr(at, sp - at);
              at = sp + 1;
              ok &= allow.find(m) != std::string::npos;
              EXPECT_NE(allow.find(m), std::string::npos) << name << ": Allow lacks " << m << "\n"
                                                          << shown;
            }
          }
          if (r->status >= 400 && !head) {
            ok &= !r->ErrorCode().empty();
            EXPECT_NE(r->ErrorCode(), "") << name << ": error without the JSON envelope\n" << shown;
          }
        }
        if (want.close) {
          ok &= conn.peer_closed();
          EXPECT_TRUE(conn.peer_closed()) << name << ": the connection stayed open\n" << shown;
        }
        // The one request got one answer: its body never ran as another.
        ok &= CountStatusLines(conn.received()) <= 1;
        EXPECT_LE(CountStatusLines(conn.received()), 1u)
            << name << ": the body was parsed as a request\n"
            << shown;
        if (!ok) ++failed;
        ASSERT_TRUE(server.Running()) << name << " killed the server\n" << server.Stderr();
      }
    }
  }
  EXPECT_EQ(failed, 0) << failed << " of " << cases << " cases failed"
                       << (failed >= 40 ? " (stopped at 40)" : "");
  EXPECT_GE(cases, 1000);
  std::printf("route matrix: %d cases in %.1f s\n", cases,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

  EXPECT_EQ(c->Get("/ping")->status, 200);
  EXPECT_EQ(c->Get("/files/docs/a.txt")->body, "alpha");
  ExpectUnchanged(server, before);
  if (kMemoryBoundsApply) {
    EXPECT_LT(server.PeakRssKb() - peak_before, kRssGrowthBoundKb);
  }
}

TEST(BadInputTest, ConnectionClosesAfterAMalformedRequest) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.Stderr();
  // A broken request line, then a valid request on the same connection:
  // only the 400 comes back, and the connection closes after it.
  const RawReply reply =
      SendRaw(server.port(), "GET /ping HTTP/1.1 trailing junk\r\nHost: t\r\n\r\n" + Get("/ping"));
  EXPECT_EQ(reply.status, 400) << reply.text;
  EXPECT_NE(reply.text.find("Connection: close"), std::string::npos) << reply.text;
  EXPECT_EQ(CountStatusLines(reply.text), 1u) << reply.text;
  EXPECT_NE(reply.text.find("{\"error\":{\"code\":"), std::string::npos) << reply.text;
}

}  // namespace
}  // namespace fsvc::testing
