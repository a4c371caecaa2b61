// RFC 9110 section 13 preconditions against the real binary: one test per
// precondition and route (GET, HEAD, PUT, DELETE on /files, DELETE /delete,
// GET /d/{token}), their order of evaluation, and the atomicity of a
// conditional write with respect to other writers of the same path.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "raw_http.h"
#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

constexpr const char* kLongAgo = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr const char* kFarAhead = "Fri, 01 Jan 2100 00:00:00 GMT";

std::string Tag(const std::string& body) {
  return "\"" + Sha256Hex(body) + "\"";
}

// The status of a PUT, retried while the server has no body slot free (503
// is load, not an answer to the precondition).
int PutStatus(httplib::Client& c, const std::string& path, const httplib::Headers& headers,
              const std::string& body) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto r = c.Put(path, headers, body, "text/plain");
    if (r && r->status != 503) return r->status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 503;
}

class ConditionalTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>();
    ASSERT_TRUE(server_->Start()) << server_->Stderr();
  }
  static void TearDownTestSuite() { server_.reset(); }

  // Stores `body` at `path` and returns its Last-Modified.
  std::string Put(const std::string& path, const std::string& body) {
    auto r = c_->Put("/files/" + path, body, "text/plain");
    EXPECT_TRUE(r && (r->status == 201 || r->status == 200)) << (r ? r->body : "no answer");
    return c_->Head("/files/" + path)->get_header_value("Last-Modified");
  }
  std::string Body(const std::string& path) {
    auto r = c_->Get("/files/" + path);
    return r && r->status == 200 ? r->body : "<" + std::to_string(r ? r->status : 0) + ">";
  }
  // A GET or HEAD sent raw: httplib's client would wait for a 304's body.
  RawReply Raw(const std::string& method, const std::string& target,
               const std::string& header_lines) {
    return SendRaw(server_->port(), method + " " + target + " HTTP/1.1\r\nHost: t\r\n" +
                                        header_lines + "Connection: close\r\n\r\n");
  }

  std::unique_ptr<httplib::Client> c_ = server_->Client();
  static std::unique_ptr<ServerProcess> server_;
};
std::unique_ptr<ServerProcess> ConditionalTest::server_;

// --- PUT ---

TEST_F(ConditionalTest, PutIfMatchReplacesOnlyTheVersionNamed) {
  Put("p/im", "one");
  auto stale = c_->Put("/files/p/im", {{"If-Match", Tag("other")}}, "two", "text/plain");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 412);
  EXPECT_EQ(ErrorCode(stale), "precondition_failed");
  EXPECT_EQ(Body("p/im"), "one") << "nothing replaced";
  auto fresh = c_->Put("/files/p/im", {{"If-Match", "\"x\", " + Tag("one")}}, "two", "text/plain");
  EXPECT_EQ(fresh->status, 200) << fresh->body;
  EXPECT_EQ(Body("p/im"), "two");
  // A weak tag never matches If-Match (strong comparison).
  EXPECT_EQ(c_->Put("/files/p/im", {{"If-Match", "W/" + Tag("two")}}, "3", "text/plain")->status,
            412);
}

TEST_F(ConditionalTest, PutIfMatchOnAMissingFileCreatesNothing) {
  auto r = c_->Put("/files/p/missing", {{"If-Match", "*"}}, "x", "text/plain");
  EXPECT_EQ(r->status, 412);
  EXPECT_EQ(c_->Get("/files/p/missing")->status, 404);
}

TEST_F(ConditionalTest, PutIfNoneMatchStarCreatesOnlyIfAbsent) {
  auto first = c_->Put("/files/p/once", {{"If-None-Match", "*"}}, "first", "text/plain");
  EXPECT_EQ(first->status, 201);
  auto second = c_->Put("/files/p/once", {{"If-None-Match", "*"}}, "second", "text/plain");
  EXPECT_EQ(second->status, 412);
  EXPECT_EQ(ErrorCode(second), "precondition_failed");
  EXPECT_EQ(Body("p/once"), "first");
}

TEST_F(ConditionalTest, PutIfUnmodifiedSince) {
  Put("p/ius", "one");
  EXPECT_EQ(c_->Put("/files/p/ius", {{"If-Unmodified-Since", kLongAgo}}, "2", "text/plain")->status,
            412);
  EXPECT_EQ(Body("p/ius"), "one");
  EXPECT_EQ(
      c_->Put("/files/p/ius", {{"If-Unmodified-Since", kFarAhead}}, "two", "text/plain")->status,
      200);
  EXPECT_EQ(Body("p/ius"), "two");
  // Not an HTTP-date: ignored, as RFC 9110 13.1.4 says.
  EXPECT_EQ(
      c_->Put("/files/p/ius", {{"If-Unmodified-Since", "yesterday"}}, "3", "text/plain")->status,
      200);
}

// A precondition that already fails is answered before the body is read.
TEST_F(ConditionalTest, PutRefusedBeforeItsBodyArrives) {
  Put("p/early", "one");
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(
      conn.Send("PUT /files/p/early HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n"
                "If-Match: \"stale\"\r\n\r\npartial"));
  const auto res = conn.Read(RawConnection::Ms(5000));
  ASSERT_TRUE(res) << "no early answer";
  EXPECT_EQ(res->status, 412);
  EXPECT_EQ(res->ErrorCode(), "precondition_failed");
  EXPECT_EQ(Body("p/early"), "one");
}

// The comparison happens inside the commit: of many writers holding the
// same ETag, exactly one replaces the file; every other gets 412. On s3 the
// comparison is a HEAD just before the write (S3 has no If-Match on PUT):
// several may win, but the file ends as one writer's complete body.
TEST_F(ConditionalTest, ConcurrentIfMatchWritersOneWins) {
  Put("p/race", "base");
  const std::string base = Tag("base");
  constexpr int kWriters = 8;
  std::atomic<int> won{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      auto c = server_->Client();
      const int status =
          PutStatus(*c, "/files/p/race", {{"If-Match", base}}, "writer " + std::to_string(i));
      if (status == 200) {
        ++won;
      } else if (status == 412) {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  if (server_->on_s3()) {
    EXPECT_GE(won.load(), 1);
    EXPECT_EQ(won.load() + refused.load(), kWriters);
    const std::string body = Body("p/race");
    EXPECT_TRUE(body.starts_with("writer ") && body.size() == 8) << body;
    return;
  }
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(refused.load(), kWriters - 1);
}

TEST_F(ConditionalTest, ConcurrentCreateOnlyIfAbsentOneWins) {
  constexpr int kWriters = 8;
  std::atomic<int> created{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      auto c = server_->Client();
      auto r =
          c->Put("/files/p/create-race", {{"If-None-Match", "*"}}, std::to_string(i), "text/plain");
      if (r && r->status == 201) ++created;
      if (r && r->status == 412) ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(refused.load(), kWriters - 1);
}

// --- DELETE ---

TEST_F(ConditionalTest, DeleteIfMatchOnFilesRoute) {
  Put("d/im", "keep");
  auto stale = c_->Delete("/files/d/im", {{"If-Match", Tag("other")}});
  EXPECT_EQ(stale->status, 412);
  EXPECT_EQ(ErrorCode(stale), "precondition_failed");
  EXPECT_EQ(Body("d/im"), "keep") << "nothing removed";
  EXPECT_EQ(c_->Delete("/files/d/im", {{"If-Match", Tag("keep")}})->status, 200);
  EXPECT_EQ(c_->Get("/files/d/im")->status, 404);
}

TEST_F(ConditionalTest, DeleteIfMatchOnDeleteRoute) {
  Put("d/q", "keep");
  EXPECT_EQ(c_->Delete("/delete?path=d/q", {{"If-Match", Tag("other")}})->status, 412);
  EXPECT_EQ(Body("d/q"), "keep");
  EXPECT_EQ(c_->Delete("/delete?path=d/q", {{"If-Match", Tag("keep")}})->status, 200);
}

TEST_F(ConditionalTest, DeleteIfUnmodifiedSince) {
  Put("d/ius", "keep");
  EXPECT_EQ(c_->Delete("/files/d/ius", {{"If-Unmodified-Since", kLongAgo}})->status, 412);
  EXPECT_EQ(Body("d/ius"), "keep");
  EXPECT_EQ(c_->Delete("/files/d/ius", {{"If-Unmodified-Since", kFarAhead}})->status, 200);
}

TEST_F(ConditionalTest, DeleteIfNoneMatch) {
  Put("d/inm", "keep");
  EXPECT_EQ(c_->Delete("/files/d/inm", {{"If-None-Match", "*"}})->status, 412);
  EXPECT_EQ(c_->Delete("/files/d/inm", {{"If-None-Match", Tag("keep")}})->status, 412);
  EXPECT_EQ(Body("d/inm"), "keep");
  EXPECT_EQ(c_->Delete("/files/d/inm", {{"If-None-Match", Tag("other")}})->status, 200);
}

// RFC 9110 13.2.1: preconditions are ignored where the answer without them
// would not be 2xx.
TEST_F(ConditionalTest, DeleteOfAMissingFileIsStill404) {
  EXPECT_EQ(c_->Delete("/files/d/none", {{"If-Match", "*"}})->status, 404);
}

// --- GET and HEAD ---

TEST_F(ConditionalTest, GetIfMatch) {
  Put("g/im", "body");
  auto stale = c_->Get("/files/g/im", {{"If-Match", Tag("other")}});
  EXPECT_EQ(stale->status, 412);
  EXPECT_EQ(ErrorCode(stale), "precondition_failed");
  auto ok = c_->Get("/files/g/im", {{"If-Match", Tag("body")}});
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "body");
}

TEST_F(ConditionalTest, GetIfUnmodifiedSince) {
  Put("g/ius", "body");
  EXPECT_EQ(c_->Get("/files/g/ius", {{"If-Unmodified-Since", kLongAgo}})->status, 412);
  EXPECT_EQ(c_->Get("/files/g/ius", {{"If-Unmodified-Since", kFarAhead}})->status, 200);
}

TEST_F(ConditionalTest, GetIfModifiedSince) {
  const std::string last_modified = Put("g/ims", "body");
  ASSERT_FALSE(last_modified.empty());
  const RawReply same = Raw("GET", "/files/g/ims", "If-Modified-Since: " + last_modified + "\r\n");
  EXPECT_EQ(same.status, 304) << same.text;
  EXPECT_TRUE(same.text.ends_with("\r\n\r\n")) << "no body: " << same.text;
  EXPECT_EQ(c_->Get("/files/g/ims", {{"If-Modified-Since", kLongAgo}})->status, 200);
  EXPECT_EQ(c_->Get("/files/g/ims", {{"If-Modified-Since", "not a date"}})->status, 200);
  // The obsolete RFC 850 and asctime forms are dates too.
  EXPECT_EQ(
      Raw("GET", "/files/g/ims", "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n").status,
      200);
  EXPECT_EQ(Raw("GET", "/files/g/ims", "If-Modified-Since: Fri Jan  1 00:00:00 2100\r\n").status,
            304);
}

TEST_F(ConditionalTest, GetIfNoneMatch) {
  Put("g/inm", "body");
  EXPECT_EQ(Raw("GET", "/files/g/inm", "If-None-Match: " + Tag("body") + "\r\n").status, 304);
  EXPECT_EQ(Raw("GET", "/files/g/inm", "If-None-Match: W/" + Tag("body") + "\r\n").status, 304)
      << "weak comparison";
  EXPECT_EQ(c_->Get("/files/g/inm", {{"If-None-Match", Tag("other")}})->status, 200);
}

TEST_F(ConditionalTest, HeadPreconditions) {
  const std::string last_modified = Put("g/head", "body");
  EXPECT_EQ(Raw("HEAD", "/files/g/head", "If-Modified-Since: " + last_modified + "\r\n").status,
            304);
  EXPECT_EQ(Raw("HEAD", "/files/g/head", "If-None-Match: *\r\n").status, 304);
  EXPECT_EQ(c_->Head("/files/g/head", {{"If-Match", Tag("other")}})->status, 412);
  EXPECT_EQ(c_->Head("/files/g/head", {{"If-Unmodified-Since", kLongAgo}})->status, 412);
}

// RFC 9110 13.2.2's order: If-Match decides before If-Unmodified-Since (which
// it makes ignored), a failed If-Match is 412 whatever If-None-Match says,
// and If-None-Match makes If-Modified-Since ignored.
TEST_F(ConditionalTest, EvaluationOrder) {
  const std::string last_modified = Put("g/order", "body");
  EXPECT_EQ(
      c_->Get("/files/g/order", {{"If-Match", Tag("body")}, {"If-Unmodified-Since", kLongAgo}})
          ->status,
      200);
  EXPECT_EQ(c_->Get("/files/g/order", {{"If-Match", Tag("other")}, {"If-None-Match", Tag("body")}})
                ->status,
            412);
  EXPECT_EQ(c_->Get("/files/g/order",
                    {{"If-None-Match", Tag("other")}, {"If-Modified-Since", last_modified}})
                ->status,
            200);
  EXPECT_EQ(
      c_->Put("/files/g/order", {{"If-Match", Tag("body")}, {"If-Unmodified-Since", kLongAgo}},
              "new", "text/plain")
          ->status,
      200);
}

// --- signed links ---

TEST_F(ConditionalTest, LinkRoutePreconditions) {
  const std::string last_modified = Put("l/file", "linked");
  const std::string url = LinkUrl(*c_, "l/file");
  ASSERT_EQ(url.rfind("/d/", 0), 0u) << url;
  EXPECT_EQ(Raw("GET", url, "If-None-Match: " + Tag("linked") + "\r\n").status, 304);
  EXPECT_EQ(Raw("GET", url, "If-Modified-Since: " + last_modified + "\r\n").status, 304);
  EXPECT_EQ(c_->Get(url, {{"If-Match", Tag("other")}})->status, 412);
  EXPECT_EQ(c_->Get(url, {{"If-Unmodified-Since", kLongAgo}})->status, 412);
  EXPECT_EQ(c_->Get(url, {{"If-Match", Tag("linked")}})->body, "linked");
  EXPECT_EQ(Raw("HEAD", url, "If-Modified-Since: " + last_modified + "\r\n").status, 304);
}

}  // namespace
}  // namespace fsvc::testing
