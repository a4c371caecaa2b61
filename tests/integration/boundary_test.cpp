// The request boundary against the real binary, over raw sockets: every
// decision that can be made from the header block (route, method, body
// framing, body mode and size, Expect, access) is made before a body byte
// is read, and any early answer to a request that declared a body closes
// the connection, so that body is never parsed as a next request. Also the
// headers that make stored files safe to serve, 304s, Location encoding and
// /openapi.json (valid under the OpenAPI 3.1 schema, via
// tools/validate-openapi.mjs).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "raw_http.h"
#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

using Ms = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// "At once": far below every body and read timeout the server could wait
// out instead of deciding from the header block.
constexpr Ms kAtOnce{5000};
// How long a connection that must close is given to do so.
constexpr Ms kCloseWait{3000};
constexpr long kRssBoundKb = 16 * 1024;

const std::string kReadKey = "READKEY123456789";
const std::string kWriteKey = "WRITEKEY123456789";
const std::string kAdminKey = "ADMINKEY123456789";
const std::string kApiKeys = "read:" + kReadKey + ",write:" + kWriteKey + ",admin:" + kAdminKey;

std::string Auth(const std::string& key) {
  return "Authorization: Bearer " + key + "\r\n";
}

// A request with exactly these headers (and Host), then `body` as is.
std::string Req(const std::string& method, const std::string& target,
                const std::string& headers = "", const std::string& body = "") {
  return method + " " + target + " HTTP/1.1\r\nHost: t\r\n" + headers + "\r\n" + body;
}

// A request whose body is framed by Content-Length.
std::string WithLength(const std::string& method, const std::string& target,
                       const std::string& headers, const std::string& body) {
  return Req(method, target, headers + "Content-Length: " + std::to_string(body.size()) + "\r\n",
             body);
}

// `body` in chunks of at most `piece` bytes, with the last chunk.
std::string Chunked(const std::string& body, size_t piece = 7) {
  std::string out;
  char size[32];
  for (size_t at = 0; at < body.size(); at += piece) {
    const std::string part = body.substr(at, piece);
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    out += size + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

// A request that would do harm if the server took it from a body.
std::string Smuggled(const std::string& method, const std::string& target,
                     const std::string& headers = "") {
  return Req(method, target, headers);
}
const std::string kSmuggledPing = Smuggled("GET", "/ping");

// One request on a fresh connection: its first response, whether the server
// then closed the connection (waiting up to `close_wait`), and all that came.
struct Exchange {
  std::optional<HttpResponse> response;
  bool closed = false;
  std::string received;
  size_t responses = 0;  // status lines received, interim ones included
  int status() const { return response ? response->status : 0; }
  std::string Show() const { return received.substr(0, 800); }
};

Exchange Roundtrip(int port, const std::string& request, Ms close_wait = kCloseWait,
                   bool head_request = false) {
  Exchange x;
  RawConnection conn(port);
  if (!conn.connected()) return x;
  conn.Send(request);
  x.response = conn.Read(kAtOnce, head_request);
  x.closed = conn.WaitClosed(close_wait);
  x.received = conn.received();
  x.responses = CountStatusLines(x.received);
  return x;
}

// Asserts a refusal from the header block: `status` with `code`, exactly
// one response, and the connection closed after it.
void ExpectRefusedAndClosed(const Exchange& x, int status, const std::string& code,
                            const std::string& what) {
  ASSERT_TRUE(x.response) << what << ": no response\n" << x.Show();
  EXPECT_EQ(x.response->status, status) << what << "\n" << x.Show();
  if (!code.empty()) {
    EXPECT_EQ(x.response->ErrorCode(), code) << what << "\n" << x.Show();
  }
  EXPECT_TRUE(x.closed) << what << ": the connection stayed open after the refusal\n" << x.Show();
  EXPECT_EQ(x.responses, 1u) << what << ": the body was parsed as another request\n" << x.Show();
}

// Reads the data folder the way the bad-input catalogue does: what is there
// must not change when every request is refused.
std::vector<std::string> DataFiles(const ServerProcess& s) {
  return ListFiles(s.data_dir());
}

std::unique_ptr<ServerProcess> StartServer(std::vector<std::string> args = {},
                                           std::map<std::string, std::string> env = {}) {
  auto s = std::make_unique<ServerProcess>(
      ServerProcess::Options{std::move(args), std::move(env), {}, ""});
  if (!s->Start()) ADD_FAILURE() << "server did not start\n" << s->Stderr();
  return s;
}

std::unique_ptr<ServerProcess> StartAuthServer(std::map<std::string, std::string> env = {}) {
  env["API_KEYS"] = kApiKeys;
  return StartServer({"--auth=on"}, std::move(env));
}

// ---------------------------------------------------------------------------
// Routes without a body, unknown paths and wrong methods.

TEST(BoundaryTest, BodyOnABodilessRouteIs413AndNeverRuns) {
  auto s = StartServer();
  auto c = s->Client();
  ASSERT_EQ(c->Put("/files/private/b.txt", "secret", "text/plain")->status, 201);

  // The body of a GET is a DELETE: refused whole, never executed.
  const std::string del = Smuggled("DELETE", "/delete?path=private/b.txt");
  ExpectRefusedAndClosed(Roundtrip(s->port(), WithLength("GET", "/ping", "", del)), 413,
                         "body_not_allowed", "GET /ping with a Content-Length body");
  EXPECT_EQ(c->Get("/files/private/b.txt")->body, "secret") << "the body ran as a request";

  // A chunked body on a DELETE: refused, the file is still there.
  ExpectRefusedAndClosed(
      Roundtrip(s->port(), Req("DELETE", "/files/private/b.txt", "Transfer-Encoding: chunked\r\n",
                               Chunked(kSmuggledPing))),
      413, "body_not_allowed", "DELETE /files/... with a chunked body");
  EXPECT_EQ(c->Get("/files/private/b.txt")->status, 200) << "DELETE with a body was executed";

  // HEAD serves the GET row, so it takes no body either (and its answer has none).
  const Exchange head =
      Roundtrip(s->port(), WithLength("HEAD", "/health", "", kSmuggledPing), kCloseWait, true);
  ASSERT_TRUE(head.response) << head.Show();
  EXPECT_EQ(head.status(), 413) << head.Show();
  EXPECT_TRUE(head.closed) << head.Show();
  EXPECT_EQ(head.responses, 1u) << head.Show();

  // Content-Length: 0 is no body.
  EXPECT_EQ(Roundtrip(s->port(), WithLength("GET", "/ping", "", ""), Ms(0)).status(), 200);
}

TEST(BoundaryTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  auto s = StartServer();
  const Exchange nope = Roundtrip(s->port(), Req("GET", "/nope"), Ms(0));
  ASSERT_TRUE(nope.response) << nope.Show();
  EXPECT_EQ(nope.status(), 404);
  EXPECT_EQ(nope.response->ErrorCode(), "not_found") << nope.Show();

  const Exchange patch = Roundtrip(s->port(), Req("PATCH", "/ping"), Ms(0));
  ASSERT_TRUE(patch.response) << patch.Show();
  EXPECT_EQ(patch.status(), 405) << patch.Show();
  EXPECT_EQ(patch.response->ErrorCode(), "method_not_allowed") << patch.Show();
  const std::string allow = patch.response->Header("Allow");
  EXPECT_NE(allow.find("GET"), std::string::npos) << patch.Show();
  EXPECT_NE(allow.find("HEAD"), std::string::npos) << patch.Show();
  EXPECT_EQ(allow.find("PUT"), std::string::npos) << patch.Show();

  // With a body declared, either refusal closes the connection.
  const Exchange post = Roundtrip(s->port(), WithLength("POST", "/ping", "", kSmuggledPing));
  ExpectRefusedAndClosed(post, 405, "method_not_allowed", "POST /ping with a body");
  ASSERT_TRUE(post.response);
  EXPECT_NE(post.response->Header("Allow").find("GET"), std::string::npos) << post.Show();
  ExpectRefusedAndClosed(Roundtrip(s->port(), WithLength("POST", "/nope", "", kSmuggledPing)), 404,
                         "not_found", "POST /nope with a body");
  ExpectRefusedAndClosed(
      Roundtrip(s->port(),
                Req("DELETE", "/list", "Transfer-Encoding: chunked\r\n", Chunked(kSmuggledPing))),
      405, "method_not_allowed", "DELETE /list with a chunked body");
  // The file route's Allow names all three of its methods.
  const Exchange files = Roundtrip(s->port(), Req("PATCH", "/files/a/b"), Ms(0));
  ASSERT_TRUE(files.response) << files.Show();
  EXPECT_EQ(files.status(), 405);
  for (const char* m : {"GET", "HEAD", "PUT", "DELETE"}) {
    EXPECT_NE(files.response->Header("Allow").find(m), std::string::npos) << m << files.Show();
  }
}

TEST(BoundaryTest, HugeBodyToAWrongMethodIsRefusedFromTheHeader) {
  auto s = StartServer();
  const long peak_before = s->PeakRssKb();
  RawConnection conn(s->port());
  ASSERT_TRUE(conn.connected());
  conn.Send(Req("POST", "/files/big-post", "Content-Length: 400000000\r\n") +
            std::string(4096, 'x'));
  const auto r = conn.Read(kAtOnce);
  ASSERT_TRUE(r) << "no answer before the body came: " << conn.received().substr(0, 400);
  EXPECT_EQ(r->status, 405) << conn.received().substr(0, 400);
  EXPECT_EQ(r->ErrorCode(), "method_not_allowed");
  EXPECT_NE(r->Header("Allow").find("PUT"), std::string::npos) << r->head;
  EXPECT_TRUE(conn.WaitClosed(kCloseWait)) << "the connection stays open for 400 MB of body";
  EXPECT_LT(s->PeakRssKb() - peak_before, kRssBoundKb);
  EXPECT_TRUE(s->Running());
}

// ---------------------------------------------------------------------------
// Framing.

TEST(BoundaryTest, AmbiguousFramingIs400AndClosesChunkedInAnyCaseIsValid) {
  auto s = StartServer();
  const auto before = DataFiles(*s);
  struct Case {
    const char* name;
    std::string request;
  };
  const std::vector<Case> cases = {
      {"two Content-Length",
       Req("PUT", "/files/f/two.txt", "Content-Length: 3\r\nContent-Length: 3\r\n",
           "abc" + kSmuggledPing)},
      {"two differing Content-Length",
       Req("PUT", "/files/f/two.txt", "Content-Length: 3\r\nContent-Length: 35\r\n",
           "abc" + kSmuggledPing)},
      {"non-numeric Content-Length",
       Req("PUT", "/files/f/nan.txt", "Content-Length: 3a\r\n", "abc" + kSmuggledPing)},
      {"negative Content-Length",
       Req("PUT", "/files/f/neg.txt", "Content-Length: -3\r\n", "abc" + kSmuggledPing)},
      {"negative Content-Length on a small route",
       Req("POST", "/batch-download", "Content-Length: -1\r\n", "{}" + kSmuggledPing)},
      {"Content-Length with Transfer-Encoding",
       Req("PUT", "/files/f/both.txt", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
           Chunked("abc") + kSmuggledPing)},
      {"Transfer-Encoding gzip",
       Req("PUT", "/files/f/gz.txt", "Transfer-Encoding: gzip\r\n", "abc" + kSmuggledPing)},
      {"Transfer-Encoding gzip, chunked",
       Req("PUT", "/files/f/gz.txt", "Transfer-Encoding: gzip, chunked\r\n",
           Chunked("abc") + kSmuggledPing)},
      {"Transfer-Encoding in HTTP/1.0",
       "PUT /files/f/old.txt HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
           Chunked("abc") + kSmuggledPing},
      {"framing errors come before routing",
       Req("GET", "/nope", "Content-Length: 1\r\nContent-Length: 2\r\n", "ab" + kSmuggledPing)},
  };
  for (const Case& k : cases) {
    ExpectRefusedAndClosed(Roundtrip(s->port(), k.request), 400, "", k.name);
  }
  EXPECT_EQ(DataFiles(*s), before) << "a refused request stored something";
  EXPECT_EQ(s->Client()->Get("/files/f/two.txt")->status, 404);

  // The chunked coding's name is case-insensitive: these are valid bodies.
  auto c = s->Client();
  for (const std::string te : {"CHUNKED", "Chunked", "chunked"}) {
    const std::string path = "/files/te/" + te + ".txt";
    const std::string body = "hello, " + te + " world";
    const Exchange x =
        Roundtrip(s->port(),
                  Req("PUT", path, "Transfer-Encoding: " + te + "\r\nContent-Type: text/plain\r\n",
                      Chunked(body, 5)),
                  Ms(0));
    EXPECT_EQ(x.status(), 201) << te << "\n" << x.Show();
    EXPECT_EQ(c->Get(path)->body, body) << te;
  }
}

TEST(BoundaryTest, ContentEncodingOnABodyIs415) {
  auto s = StartServer();
  auto c = s->Client();
  const auto before = DataFiles(*s);
  ExpectRefusedAndClosed(
      Roundtrip(s->port(), WithLength("PUT", "/files/ce/gz.txt", "Content-Encoding: gzip\r\n",
                                      "hello" + kSmuggledPing)),
      415, "unsupported_encoding", "Content-Encoding: gzip");
  ExpectRefusedAndClosed(
      Roundtrip(s->port(), Req("POST", "/batch-download",
                               "Content-Encoding: br\r\nTransfer-Encoding: chunked\r\n",
                               Chunked(R"({"paths":["x"]})") + kSmuggledPing)),
      415, "unsupported_encoding", "Content-Encoding: br, chunked");
  EXPECT_EQ(DataFiles(*s), before);
  EXPECT_EQ(c->Get("/files/ce/gz.txt")->status, 404);
  // identity is no encoding.
  const Exchange id = Roundtrip(
      s->port(), WithLength("PUT", "/files/ce/id.txt", "Content-Encoding: identity\r\n", "plain"),
      Ms(0));
  EXPECT_EQ(id.status(), 201) << id.Show();
  EXPECT_EQ(c->Get("/files/ce/id.txt")->body, "plain");
}

TEST(BoundaryTest, UploadWithoutFramingIs411AtOnceOtherRoutesReadAnEmptyBody) {
  auto s = StartServer();
  auto c = s->Client();
  // No Content-Length and no Transfer-Encoding: an upload is refused at
  // once, not after waiting for a body that has no end.
  for (const std::string& request :
       {Req("PUT", "/files/nf/x.txt", "Content-Type: text/plain\r\n"),
        Req("POST", "/upload", "Content-Type: multipart/form-data; boundary=xB\r\n"),
        Req("POST", "/batch-upload", "Content-Type: multipart/form-data; boundary=xB\r\n")}) {
    RawConnection conn(s->port());
    conn.Send(request);
    const auto r = conn.Read(kAtOnce);
    ASSERT_TRUE(r) << request << "no answer: the server waits for a body";
    EXPECT_EQ(r->status, 411) << request << r->head;
    EXPECT_EQ(r->ErrorCode(), "length_required") << request << r->body;
  }
  EXPECT_EQ(c->Get("/files/nf/x.txt")->status, 404);

  // Elsewhere no framing means an empty body.
  const Exchange folder = Roundtrip(s->port(), Req("POST", "/create-folder?path=a"), Ms(0));
  EXPECT_EQ(folder.status(), 201) << folder.Show();
  const Exchange nope = Roundtrip(s->port(), Req("POST", "/nope"), Ms(0));
  EXPECT_EQ(nope.status(), 404) << nope.Show();
  const Exchange reset = Roundtrip(s->port(), Req("POST", "/metrics/reset"), Ms(0));
  EXPECT_EQ(reset.status(), 200) << reset.Show();
}

// ---------------------------------------------------------------------------
// Body limits.

TEST(BoundaryTest, SmallBodiesAreCappedAtOneMiB) {
  auto s = StartServer();
  // Declared over the cap: refused from the header.
  {
    RawConnection conn(s->port());
    conn.Send(Req("POST", "/batch-download",
                  "Content-Type: application/json\r\nContent-Length: 1048577\r\n", "{\"paths\""));
    const auto r = conn.Read(kAtOnce);
    ASSERT_TRUE(r) << "no answer before the body: " << conn.received();
    EXPECT_EQ(r->status, 413) << r->head;
    EXPECT_TRUE(conn.WaitClosed(kCloseWait));
  }
  // The same, waiting for "100 Continue" (on every small route): 413, and
  // no invitation to send a body that would be refused.
  for (const std::string target :
       {"/batch-download", "/create-folder?path=c", "/metrics/reset", "/debug/purge"}) {
    RawConnection conn(s->port());
    conn.Send(Req("POST", target,
                  "Expect: 100-continue\r\nContent-Type: application/json\r\n"
                  "Content-Length: 1048577\r\n"));
    const auto r = conn.Read(kAtOnce);
    ASSERT_TRUE(r) << target << ": no answer to the header";
    EXPECT_EQ(r->status, 413) << target << "\n" << conn.received();
    EXPECT_EQ(conn.received().find("100 Continue"), std::string::npos) << target << "\n"
                                                                       << conn.received();
    EXPECT_TRUE(conn.WaitClosed(kCloseWait)) << target;
  }
  // Chunked, growing past the cap: cut off as it grows, not buffered.
  const long peak_before = s->PeakRssKb();
  RawConnection conn(s->port());
  conn.Send(Req("POST", "/batch-download",
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"));
  const std::string chunk = "10000\r\n" + std::string(64 << 10, 'a') + "\r\n";
  size_t sent = 0;
  const size_t total = size_t{50} << 20;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (sent < total && Clock::now() < deadline) {
    conn.Pump();
    if (conn.peer_closed() || !conn.unread().empty()) break;
    if (!conn.Send(chunk, Ms(1000))) break;
    sent += 64 << 10;
  }
  const auto r = conn.Read(kAtOnce);
  ASSERT_TRUE(r) << "no answer after " << (sent >> 10) << " KiB of a chunked small body";
  EXPECT_EQ(r->status, 413) << r->head;
  EXPECT_TRUE(conn.WaitClosed(kCloseWait));
  EXPECT_LT(sent, size_t{40} << 20) << "the server read far past the 1 MiB cap";
  EXPECT_LT(s->PeakRssKb() - peak_before, kRssBoundKb);
  EXPECT_EQ(s->Client()->Get("/ping")->status, 200);
}

TEST(BoundaryTest, UploadOverMaxUploadBytesIs413AtOnce) {
  auto s = StartServer({}, {{"MAX_UPLOAD_BYTES", "1M"}});
  const auto before = DataFiles(*s);
  for (const std::string& request :
       {Req("PUT", "/files/big/x.bin", "Content-Length: 2097152\r\n", "xxxx"),
        Req("POST", "/upload",
            "Content-Type: multipart/form-data; boundary=xB\r\nContent-Length: 8388608\r\n",
            "--xB\r\n")}) {
    RawConnection conn(s->port());
    conn.Send(request);
    const auto r = conn.Read(kAtOnce);
    ASSERT_TRUE(r) << request << "no answer before the body";
    EXPECT_EQ(r->status, 413) << request << r->head;
    EXPECT_TRUE(conn.WaitClosed(kCloseWait)) << request;
  }
  EXPECT_EQ(DataFiles(*s), before);
  // Within the limit it is stored.
  EXPECT_EQ(s->Client()->Put("/files/big/ok.bin", std::string(1000, 'o'), "text/plain")->status,
            201);
}

// ---------------------------------------------------------------------------
// Early answers close; a body is its request's, whatever it contains.

TEST(BoundaryTest, EveryEarlyAnswerToABodyCloses) {
  auto s = StartAuthServer({{"MAX_UPLOAD_BYTES", "1M"}});
  const auto before = DataFiles(*s);
  // Each body is itself a request; a server that answered early and kept
  // the connection would answer it too.
  const std::string health = Smuggled("GET", "/health");
  struct Case {
    const char* name;
    std::string request;
    int status;
    const char* code;
  };
  const std::vector<Case> cases = {
      {"401: no key", WithLength("PUT", "/files/a/x.txt", "", health), 401, "unauthorized"},
      {"401: chunked, no key",
       Req("PUT", "/files/a/x.txt", "Transfer-Encoding: chunked\r\n", Chunked(health) + health),
       401, "unauthorized"},
      {"403: read key on a write route",
       WithLength("PUT", "/files/a/x.txt", Auth(kReadKey), health), 403, "forbidden"},
      {"403: write key on an admin route",
       WithLength("POST", "/debug/purge", Auth(kWriteKey), health), 403, "forbidden"},
      {"404", WithLength("POST", "/nope", Auth(kWriteKey), health), 404, "not_found"},
      {"405", WithLength("POST", "/files/a/x.txt", Auth(kWriteKey), health), 405,
       "method_not_allowed"},
      {"413: over MAX_UPLOAD_BYTES",
       Req("PUT", "/files/a/x.txt", Auth(kWriteKey) + "Content-Length: 2097152\r\n", health), 413,
       ""},
      {"413: body on a bodiless route", WithLength("GET", "/list", Auth(kReadKey), health), 413,
       "body_not_allowed"},
      {"415",
       WithLength("PUT", "/files/a/x.txt", Auth(kWriteKey) + "Content-Encoding: gzip\r\n", health),
       415, "unsupported_encoding"},
      {"417",
       WithLength("PUT", "/files/a/x.txt", Auth(kWriteKey) + "Expect: something-else\r\n", health),
       417, "expectation_failed"},
  };
  for (const Case& k : cases) {
    ExpectRefusedAndClosed(Roundtrip(s->port(), k.request), k.status, k.code, k.name);
  }
  EXPECT_EQ(DataFiles(*s), before);
}

TEST(BoundaryTest, MalformedRangeDoesNotSplitABody) {
  auto s = StartAuthServer();
  auto c = s->Client();
  const httplib::Headers write = {{"Authorization", "Bearer " + kWriteKey}};
  ASSERT_EQ(c->Put("/files/r/ten.txt", write, "0123456789", "text/plain")->status, 201);
  const std::string del = Smuggled("DELETE", "/files/r/ten.txt", Auth(kWriteKey));
  const std::string bad_range = "Range: bytes=3-2\r\n";

  // A PUT: one request, its body (which reads like a DELETE) is its body.
  const Exchange put =
      Roundtrip(s->port(),
                WithLength("PUT", "/files/r/new.txt",
                           Auth(kWriteKey) + bad_range + "Content-Type: text/plain\r\n", del),
                Ms(1000));
  EXPECT_EQ(put.status(), 201) << put.Show();
  EXPECT_EQ(put.responses, 1u) << put.Show();
  EXPECT_EQ(c->Get("/files/r/new.txt", write)->body, del);

  // A POST with a small body: the same.
  const Exchange post =
      Roundtrip(s->port(),
                WithLength("POST", "/batch-download",
                           Auth(kWriteKey) + bad_range + "Content-Type: application/json\r\n", del),
                Ms(1000));
  ASSERT_TRUE(post.response) << post.Show();
  EXPECT_EQ(post.status(), 400) << "the body is not JSON\n" << post.Show();
  EXPECT_EQ(post.responses, 1u) << post.Show();

  auto ten = c->Get("/files/r/ten.txt", write);
  ASSERT_TRUE(ten);
  EXPECT_EQ(ten->status, 200) << "a body was executed as a DELETE";
  EXPECT_EQ(ten->body, "0123456789");
}

TEST(BoundaryTest, ExpectContinueComesOnlyWhenTheBodyIsWanted) {
  auto s = StartAuthServer({{"MAX_UPLOAD_BYTES", "1M"}});
  const std::string expect = "Expect: 100-continue\r\n";
  // Refused from the header: the refusal, and no "100 Continue" before it.
  struct Case {
    const char* name;
    std::string head;
    int status;
  };
  for (const Case& k : std::vector<Case>{
           {"no key", Req("PUT", "/files/e/a.txt", expect + "Content-Length: 5\r\n"), 401},
           {"read key",
            Req("PUT", "/files/e/a.txt", Auth(kReadKey) + expect + "Content-Length: 5\r\n"), 403},
           {"over the limit",
            Req("PUT", "/files/e/a.txt", Auth(kWriteKey) + expect + "Content-Length: 2097152\r\n"),
            413},
       }) {
    RawConnection conn(s->port());
    conn.Send(k.head);
    const auto r = conn.Read(kAtOnce);
    ASSERT_TRUE(r) << k.name << ": no answer to the header";
    EXPECT_EQ(r->status, k.status) << k.name << "\n" << conn.received();
    EXPECT_EQ(conn.received().find("100 Continue"), std::string::npos)
        << k.name << ": asked for a body it refuses\n"
        << conn.received();
    EXPECT_TRUE(conn.WaitClosed(kCloseWait)) << k.name;
  }

  // Admitted: "100 Continue" first, then, after the body, 201.
  RawConnection conn(s->port());
  conn.Send(Req("PUT", "/files/e/ok.txt",
                Auth(kWriteKey) + expect + "Content-Type: text/plain\r\nContent-Length: 5\r\n"));
  const auto go = conn.Read(kAtOnce);
  ASSERT_TRUE(go) << "no 100 Continue: " << conn.received();
  EXPECT_EQ(go->status, 100) << conn.received();
  EXPECT_EQ(conn.received().rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << conn.received();
  conn.Send("hello");
  const auto done = conn.Read(kAtOnce);
  ASSERT_TRUE(done) << conn.received();
  EXPECT_EQ(done->status, 201) << conn.received();
  EXPECT_EQ(s->Client()->Get("/files/e/ok.txt", {{"Authorization", "Bearer " + kReadKey}})->body,
            "hello");

  // Any other expectation: 417, and the body is not read.
  ExpectRefusedAndClosed(
      Roundtrip(s->port(), WithLength("PUT", "/files/e/b.txt",
                                      Auth(kWriteKey) + "Expect: something-else\r\n", "hello") +
                               kSmuggledPing),
      417, "expectation_failed", "Expect: something-else");
}

// ---------------------------------------------------------------------------
// Range.

TEST(BoundaryTest, RangeInAnotherUnitOrUnparsableIsIgnored) {
  auto s = StartServer();
  ASSERT_EQ(s->Client()->Put("/files/r/ten.txt", "0123456789", "text/plain")->status, 201);
  auto get = [&](const std::string& target, const std::string& range) {
    return Roundtrip(s->port(), Req("GET", target, "Range: " + range + "\r\n"), Ms(0));
  };
  // /ping serves no ranges: any Range is ignored (RFC 9110 14.2).
  for (const std::string range : {"items=0-1", "bytes=3-2", "bytes=abc", "garbage"}) {
    const Exchange x = get("/ping", range);
    EXPECT_EQ(x.status(), 200) << "Range: " << range << "\n" << x.Show();
  }
  // A file: an unknown unit is ignored (the whole file), bytes are served.
  const Exchange items = get("/files/r/ten.txt", "items=0-1");
  ASSERT_TRUE(items.response) << items.Show();
  EXPECT_EQ(items.status(), 200) << items.Show();
  EXPECT_EQ(items.response->body, "0123456789");
  const Exchange first = get("/files/r/ten.txt", "bytes=0-0");
  ASSERT_TRUE(first.response) << first.Show();
  EXPECT_EQ(first.status(), 206) << first.Show();
  EXPECT_EQ(first.response->body, "0");
  EXPECT_EQ(first.response->Header("Content-Range"), "bytes 0-0/10");
  // Range units are case-insensitive.
  const Exchange upper = get("/files/r/ten.txt", "BYTES=1-2");
  ASSERT_TRUE(upper.response) << upper.Show();
  EXPECT_EQ(upper.status(), 206) << upper.Show();
  EXPECT_EQ(upper.response->body, "12");
}

// ---------------------------------------------------------------------------
// Slow bodies and body slots.

TEST(BoundaryTest, BodyBelowTheMinimumRateIs408) {
  auto s = StartServer({}, {{"BODY_RATE_WINDOW", "2"}});
  const auto before = DataFiles(*s);
  RawConnection conn(s->port());
  conn.Send(Req("PUT", "/files/slow/s.txt", "Content-Length: 100\r\n", "x"));
  // One byte every 0.3 s: 3 B/s against a minimum of 1024 B/s.
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  int sent = 1;
  while (Clock::now() < deadline && sent < 100) {
    std::this_thread::sleep_for(Ms(300));
    conn.Pump();
    if (conn.peer_closed() || !conn.unread().empty()) break;
    if (conn.SendSome("x") > 0) ++sent;
  }
  const auto r = conn.Read(kAtOnce);
  ASSERT_TRUE(r) << "no answer after " << sent << " trickled bytes";
  EXPECT_EQ(r->status, 408) << r->head << r->body;
  EXPECT_EQ(r->ErrorCode(), "request_timeout") << r->body;
  EXPECT_LT(sent, 100) << "the whole body was trickled in";
  EXPECT_TRUE(conn.WaitClosed(kCloseWait));
  EXPECT_EQ(s->Client()->Get("/files/slow/s.txt")->status, 404);
  EXPECT_EQ(DataFiles(*s), before);
}

TEST(BoundaryTest, TricklingBodiesLeaveThreadsForPing) {
  auto s = StartServer({}, {{"THREADS", "16"}, {"MAX_BODIES_PER_CLIENT", "0"}});
  // Half uploads, half small bodies: both hold a thread while they trickle.
  constexpr int kSlow = 100;
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < kSlow; ++i) {
    auto conn = std::make_unique<RawConnection>(s->port());
    ASSERT_TRUE(conn->connected()) << i;
    conn->Send(i % 2 == 0
                   ? Req("PUT", "/files/trickle/" + std::to_string(i) + ".bin",
                         "Content-Length: 1000000\r\n", "x")
                   : Req("POST", "/batch-download",
                         "Content-Type: application/json\r\nContent-Length: 100000\r\n", "{"),
               Ms(1000));
    slow.push_back(std::move(conn));
  }
  auto trickle = [&] {
    for (auto& c : slow) {
      c->Pump();
      if (!c->peer_closed() && c->received().empty()) c->SendSome("x");
    }
  };
  for (int round = 0; round < 5; ++round) {
    trickle();
    std::this_thread::sleep_for(Ms(200));
  }
  RawConnection ping(s->port());
  ASSERT_TRUE(ping.connected());
  ping.Send(Req("GET", "/ping"));
  std::optional<HttpResponse> pong;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!pong && Clock::now() < deadline) {
    pong = ping.Read(Ms(200));
    if (!pong) trickle();
  }
  // The trickling connections as they were when /ping was answered.
  int unanswered = 0;
  std::map<int, int> refused;  // status -> connections
  for (auto& c : slow) {
    c->Pump();
    if (c->received().empty() && !c->peer_closed()) {
      ++unanswered;
    } else {
      HttpResponse r;
      ParseResponse(c->received(), false, true, r);
      ++refused[r.status];
    }
  }
  std::string summary = std::to_string(unanswered) + " still trickling;";
  for (const auto& [status, n] : refused) {
    summary += " " + std::to_string(n) + " answered " + std::to_string(status) + ";";
  }
  std::printf("when /ping was answered: %s\n", summary.c_str());
  ASSERT_TRUE(pong) << "/ping starved by trickling bodies: " << summary;
  EXPECT_EQ(pong->status, 200) << summary;
  // The bodies that got a slot were still being read (the server keeps a
  // quarter of its 16 threads free of bodies: 12 slots), so /ping was
  // answered alongside them, not after they were cut off.
  EXPECT_GE(unanswered, 8) << summary;
  // The rest were refused for want of a slot, never served.
  for (const auto& [status, n] : refused) {
    EXPECT_TRUE(status == 503 || status == 429 || status == 408) << summary;
  }
  slow.clear();
  EXPECT_TRUE(s->Running());
  EXPECT_EQ(s->Client()->Get("/ping")->status, 200);
}

// Sends the header block of a request that waits for "100 Continue" and
// reads it: the boundary has then admitted the request and holds its slots.
bool OpenBody(RawConnection& conn, const std::string& target, size_t length,
              const std::string& method = "PUT") {
  conn.Send(Req(method, target,
                "Expect: 100-continue\r\nContent-Type: text/plain\r\nContent-Length: " +
                    std::to_string(length) + "\r\n"));
  const auto r = conn.Read(kAtOnce);
  return r && r->status == 100;
}

TEST(BoundaryTest, BodiesPerClientAreBounded) {
  auto s = StartServer({"--max-bodies-per-client=2"});
  RawConnection a(s->port()), b(s->port());
  ASSERT_TRUE(OpenBody(a, "/files/pc/a.txt", 5)) << a.received();
  ASSERT_TRUE(OpenBody(b, "/files/pc/b.txt", 5)) << b.received();
  // A third body from 127.0.0.1 while two are open.
  ExpectRefusedAndClosed(Roundtrip(s->port(), Req("PUT", "/files/pc/c.txt", "Content-Length: 5\r\n",
                                                  "hello" + kSmuggledPing)),
                         429, "rate_limited", "third concurrent body");
  // Requests without a body are not counted.
  EXPECT_EQ(Roundtrip(s->port(), Req("GET", "/ping"), Ms(0)).status(), 200);
  a.Send("hello");
  b.Send("hello");
  const auto ra = a.Read(kAtOnce), rb = b.Read(kAtOnce);
  ASSERT_TRUE(ra && rb) << a.received() << b.received();
  EXPECT_EQ(ra->status, 201) << a.received();
  EXPECT_EQ(rb->status, 201) << b.received();
  // The slots are free again.
  EXPECT_EQ(s->Client()->Put("/files/pc/c.txt", "hello", "text/plain")->status, 201);
  EXPECT_EQ(s->Client()->Get("/files/pc/c.txt")->body, "hello");
}

TEST(BoundaryTest, NoBodySlotIs503AndCloses) {
  // One body slot: small bodies take one as uploads do (each holds a
  // thread while it arrives).
  auto s = StartServer({}, {{"MAX_CONCURRENT_UPLOADS", "1"}, {"MAX_BODIES_PER_CLIENT", "0"}});
  const std::string paths = R"({"paths":["x"]})";
  {
    RawConnection a(s->port());
    ASSERT_TRUE(OpenBody(a, "/files/slot/a.txt", 5)) << a.received();
    ExpectRefusedAndClosed(
        Roundtrip(s->port(), WithLength("POST", "/batch-download", "", paths) + kSmuggledPing), 503,
        "unavailable", "a small body while an upload holds the only slot");
    ExpectRefusedAndClosed(
        Roundtrip(s->port(), Req("PUT", "/files/slot/b.txt", "Content-Length: 5\r\n", "hello") +
                                 kSmuggledPing),
        503, "unavailable", "an upload while an upload holds the only slot");
    a.Send("hello");
    const auto r = a.Read(kAtOnce);
    ASSERT_TRUE(r) << a.received();
    EXPECT_EQ(r->status, 201);
  }
  {
    RawConnection a(s->port());
    ASSERT_TRUE(OpenBody(a, "/batch-download", paths.size(), "POST")) << a.received();
    ExpectRefusedAndClosed(
        Roundtrip(s->port(), Req("PUT", "/files/slot/b.txt", "Content-Length: 5\r\n", "hello") +
                                 kSmuggledPing),
        503, "unavailable", "an upload while a small body holds the only slot");
    a.Send(paths);
    const auto r = a.Read(kAtOnce);
    ASSERT_TRUE(r) << a.received();
    EXPECT_EQ(r->status, 200) << a.received();
  }
  // Requests without a body need no slot; the slot is free again.
  EXPECT_EQ(s->Client()->Get("/ping")->status, 200);
  EXPECT_EQ(s->Client()->Put("/files/slot/b.txt", "hello", "text/plain")->status, 201);
}

TEST(BoundaryTest, RateLimitedBodyCloses) {
  auto s = StartServer({"--disable-rate-limiter=false"},
                       {{"RATE_WRITE_PER_SEC", "1"}, {"RATE_WRITE_BURST", "1"}});
  EXPECT_EQ(Roundtrip(s->port(), WithLength("PUT", "/files/rl/a.txt", "", "hello"), Ms(0)).status(),
            201);
  const Exchange limited =
      Roundtrip(s->port(), WithLength("PUT", "/files/rl/b.txt", "", "hello") + kSmuggledPing);
  ExpectRefusedAndClosed(limited, 429, "rate_limited", "PUT over the write rate");
  // Refused from the header: no "100 Continue" before the 429.
  RawConnection conn(s->port());
  conn.Send(Req("PUT", "/files/rl/c.txt", "Expect: 100-continue\r\nContent-Length: 5\r\n"));
  const auto r = conn.Read(kAtOnce);
  ASSERT_TRUE(r) << "no answer to the header";
  EXPECT_EQ(r->status, 429) << conn.received();
  EXPECT_EQ(conn.received().find("100 Continue"), std::string::npos) << conn.received();
  EXPECT_TRUE(conn.WaitClosed(kCloseWait));
}

// ---------------------------------------------------------------------------
// Multipart.

std::string FormPart(const std::string& disposition, const std::string& content,
                     const std::string& type = "") {
  return "--xB\r\nContent-Disposition: form-data; " + disposition + "\r\n" +
         (type.empty() ? "" : "Content-Type: " + type + "\r\n") + "\r\n" + content + "\r\n";
}

TEST(BoundaryTest, MultipartMediaTypeIsCaseInsensitive) {
  auto s = StartServer();
  const std::string body =
      FormPart(R"(name="file"; filename="m.txt")", "multipart", "text/plain") + "--xB--\r\n";
  const Exchange x =
      Roundtrip(s->port(),
                WithLength("POST", "/upload?path=mp",
                           "Content-Type: Multipart/Form-Data; boundary=xB\r\n", body),
                Ms(0));
  EXPECT_EQ(x.status(), 201) << x.Show();
  EXPECT_EQ(s->Client()->Get("/files/mp/m.txt")->body, "multipart");
}

TEST(BoundaryTest, FormFieldFloodIs413AndStoresNothing) {
  auto s = StartServer({}, {{"MAX_FORM_FIELDS", "64"}});
  const auto before = DataFiles(*s);
  const long peak_before = s->PeakRssKb();
  std::string body;
  for (int i = 0; i < 800; ++i) body += FormPart(R"(name="x")", "1");
  body += FormPart(R"(name="file"; filename="f.txt")", "file content", "text/plain") + "--xB--\r\n";
  const Exchange x =
      Roundtrip(s->port(),
                WithLength("POST", "/upload?path=ff",
                           "Content-Type: multipart/form-data; boundary=xB\r\n", body),
                Ms(500));
  ASSERT_TRUE(x.response) << x.Show();
  EXPECT_EQ(x.status(), 413) << x.Show();
  EXPECT_EQ(x.response->ErrorCode(), "form_too_large") << x.Show();
  EXPECT_EQ(s->Client()->Get("/files/ff/f.txt")->status, 404);
  EXPECT_EQ(DataFiles(*s), before);
  EXPECT_LT(s->PeakRssKb() - peak_before, kRssBoundKb);
}

// ---------------------------------------------------------------------------
// Serving stored files.

TEST(BoundaryTest, ActiveContentIsServedAsASandboxedAttachment) {
  auto s = StartServer();
  auto c = s->Client();
  struct Stored {
    std::string path;
    std::string type;
    std::string content;
    bool active;
  };
  const std::vector<Stored> files = {
      {"x/page.html", "text/html", "<script>alert(document.cookie)</script>", true},
      {"x/pic.svg", "image/svg+xml",
       R"(<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>)", true},
      {"x/a.txt", "text/plain", "plain text", false},
      {"x/p.png", "image/png", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), false},
  };
  for (const Stored& f : files) {
    ASSERT_EQ(c->Put("/files/" + f.path, f.content, f.type.c_str())->status, 201) << f.path;
  }
  // And text/html through a form upload.
  const std::string form =
      FormPart(R"(name="file"; filename="form.html")", "<script>alert(2)</script>", "text/html") +
      "--xB--\r\n";
  ASSERT_EQ(Roundtrip(s->port(),
                      WithLength("POST", "/upload?path=x",
                                 "Content-Type: multipart/form-data; boundary=xB\r\n", form),
                      Ms(0))
                .status(),
            201);
  std::vector<Stored> all = files;
  all.push_back({"x/form.html", "text/html", "<script>alert(2)</script>", true});

  for (const Stored& f : all) {
    auto link = c->Get("/download?path=" + f.path);
    ASSERT_TRUE(link);
    ASSERT_EQ(link->status, 200) << link->body;
    const std::string url = Json(link)["url"].get<std::string>();
    for (const std::string& target : {"/files/" + f.path, url}) {
      auto r = c->Get(target);
      ASSERT_TRUE(r) << target;
      EXPECT_EQ(r->status, 200) << target;
      EXPECT_EQ(r->body, f.content) << target;
      EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << target;
      const std::string disposition = r->get_header_value("Content-Disposition");
      if (f.active) {
        EXPECT_NE(r->get_header_value("Content-Security-Policy").find("sandbox"), std::string::npos)
            << target << " (" << f.type << ") may run scripts in the service's origin";
        EXPECT_EQ(disposition.rfind("attachment", 0), 0u)
            << target << " (" << f.type << ") is rendered inline: " << disposition;
      } else {
        EXPECT_NE(disposition.rfind("attachment", 0), 0u)
            << target << " (" << f.type << ") should be shown inline";
      }
    }
  }
}

TEST(BoundaryTest, NotModifiedCarriesNoZeroContentLength) {
  auto s = StartServer();
  auto c = s->Client();
  ASSERT_EQ(c->Put("/files/n/e.txt", "hello world", "text/plain")->status, 201);
  auto link = c->Get("/download?path=n/e.txt");
  ASSERT_TRUE(link);
  const std::string url = Json(link)["url"].get<std::string>();
  for (const std::string& target : {std::string("/files/n/e.txt"), url}) {
    const Exchange full = Roundtrip(s->port(), Req("GET", target), Ms(0));
    ASSERT_TRUE(full.response) << full.Show();
    const std::string etag = full.response->Header("ETag");
    ASSERT_FALSE(etag.empty()) << full.Show();
    const Exchange cached =
        Roundtrip(s->port(), Req("GET", target, "If-None-Match: " + etag + "\r\n"), Ms(0));
    ASSERT_TRUE(cached.response) << cached.Show();
    EXPECT_EQ(cached.status(), 304) << cached.Show();
    if (cached.response->HasHeader("Content-Length")) {
      EXPECT_EQ(cached.response->Header("Content-Length"), "11")
          << target << ": a 304 says the representation is empty\n"
          << cached.Show();
    }
  }
}

TEST(BoundaryTest, LocationIsPercentEncoded) {
  auto s = StartServer();
  const std::string target = "/files/q%3Fx%23y%20z%25.txt";
  const Exchange put = Roundtrip(
      s->port(), WithLength("PUT", target, "Content-Type: text/plain\r\n", "hello"), Ms(0));
  ASSERT_TRUE(put.response) << put.Show();
  EXPECT_EQ(put.status(), 201) << put.Show();
  const std::string location = put.response->Header("Location");
  EXPECT_EQ(location, target) << put.Show();
  ASSERT_FALSE(location.empty());
  const Exchange get = Roundtrip(s->port(), Req("GET", location), Ms(0));
  ASSERT_TRUE(get.response) << get.Show();
  EXPECT_EQ(get.status(), 200) << get.Show();
  EXPECT_EQ(get.response->body, "hello");
  // The name as stored is the decoded one.
  auto list = s->Client()->Get("/list");
  EXPECT_NE(list->body.find("q?x#y z%.txt"), std::string::npos) << list->body;
}

// ---------------------------------------------------------------------------
// /openapi.json.

TEST(BoundaryTest, OpenApiDescribesEveryRouteAndValidates) {
  auto s = StartServer({"--enable-profiling=true"});
  auto r = s->Client()->Get("/openapi.json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->get_header_value("Content-Type").find("application/json"), std::string::npos);
  const auto doc = nlohmann::json::parse(r->body, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << r->body.substr(0, 400);
  EXPECT_EQ(doc.value("openapi", ""), "3.1.0");
  ASSERT_TRUE(doc.contains("paths") && doc["paths"].is_object());
  const auto& paths = doc["paths"];
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"/ping", "get"},
      {"/health", "get"},
      {"/openapi.json", "get"},
      {"/metrics", "get"},
      {"/metrics/requests", "get"},
      {"/metrics/memory", "get"},
      {"/metrics/reset", "post"},
      {"/files/{path}", "put"},
      {"/files/{path}", "get"},
      {"/files/{path}", "delete"},
      {"/delete", "delete"},
      {"/upload", "post"},
      {"/batch-upload", "post"},
      {"/list", "get"},
      {"/list-folders", "get"},
      {"/create-folder", "post"},
      {"/delete-folder", "delete"},
      {"/download", "get"},
      {"/d/{token}", "get"},
      {"/batch-download", "post"},
      {"/move", "post"},
      {"/debug/purge", "post"},
  };
  for (const auto& [path, method] : routes) {
    EXPECT_TRUE(paths.contains(path) && paths[path].contains(method))
        << method << " " << path << " is not described";
  }
  bool pprof = false;
  for (const auto& [path, item] : paths.items())
    pprof = pprof || path.rfind("/debug/pprof/", 0) == 0;
  EXPECT_TRUE(pprof) << "ENABLE_PROFILING=true, yet no /debug/pprof/ path";

  // Valid under the OpenAPI 3.1 schema, as the npm validator sees it.
  const std::string source = FSVC_SOURCE_DIR;
  const std::string script = source + "/tools/validate-openapi.mjs";
  const std::string module =
      source + "/tools/node_modules/@seriousme/openapi-schema-validator/package.json";
  if (std::system("command -v node >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "node is not installed: the OpenAPI document was not validated "
                    "(scripts/install-deps.sh --test installs nodejs)";
  }
  if (!std::filesystem::exists(module)) {
    GTEST_SKIP() << "@seriousme/openapi-schema-validator is not installed in tools/: the "
                    "OpenAPI document was not validated (run: npm ci --prefix tools)";
  }
  TempDir dir;
  auto validate = [&](const std::string& json) {
    const std::string file = dir.path() + "/openapi.json";
    std::ofstream(file) << json;
    const std::string out = dir.path() + "/validator.out";
    const int rc =
        std::system(("node '" + script + "' '" + file + "' >'" + out + "' 2>&1").c_str());
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::make_pair(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, text);
  };
  const auto [rc, text] = validate(r->body);
  EXPECT_EQ(rc, 0) << text.substr(0, 4000);
  // The validator does reject what is not OpenAPI 3.1 (so a pass means something).
  auto broken = doc;
  broken["paths"]["/ping"]["get"]["parameters"] = {{{"name", "x"}, {"in", "nowhere"}}};
  EXPECT_EQ(validate(broken.dump()).first, 1) << "the validator accepted a broken document";
}

}  // namespace
}  // namespace fsvc::testing
