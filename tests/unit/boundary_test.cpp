#include "http/boundary.h"

#include <gtest/gtest.h>

namespace fsvc {
namespace {

class BoundaryTest : public ::testing::Test {
 protected:
  BoundaryTest() {
    auto row = [this](std::string_view method, std::string_view pattern, Access access,
                      RateClass rate, BodyMode body, std::string_view type = {}) {
      routes_.Add({method,
                   pattern,
                   access,
                   rate,
                   body,
                   "test",
                   {},
                   type,
                   {},
                   [](const Request&, Response&) {}});
    };
    row("GET", "/ping", Access::kOpen, RateClass::kExempt, BodyMode::kNone);
    row("PUT", "/files/{path...}", Access::kWrite, RateClass::kWrite, BodyMode::kStreamed);
    row("GET", "/files/{path...}", Access::kRead, RateClass::kRead, BodyMode::kNone);
    row("POST", "/batch-download", Access::kRead, RateClass::kRead, BodyMode::kSmall);
    row("POST", "/upload", Access::kWrite, RateClass::kWrite, BodyMode::kStreamed,
        "multipart/form-data");
    options_.max_upload_bytes = 1000;
    options_.max_bodies_per_client = 1;
  }

  Boundary Make() { return Boundary(routes_, options_, gate_); }

  RouteTable routes_;
  BoundaryOptions options_;
  UploadGate gate_{{2, 1 << 20}};
};

std::string Head(const std::string& line, const std::string& headers = "") {
  return line + " HTTP/1.1\r\nHost: t\r\n" + headers + "\r\n";
}

TEST_F(BoundaryTest, AdmitsARouteWithItsCaptures) {
  Boundary b = Make();
  auto d = b.Admit(Head("GET /files/a/b.txt?x=1"), "10.0.0.1");
  ASSERT_TRUE(d.admitted);
  EXPECT_EQ(d.admitted->route->pattern, "/files/{path...}");
  ASSERT_EQ(d.admitted->request.captures.size(), 1u);
  EXPECT_EQ(d.admitted->request.captures[0], "a/b.txt");
  EXPECT_EQ(d.admitted->request.Param("x"), "1");
  EXPECT_EQ(d.admitted->request.client, "10.0.0.1");
}

TEST_F(BoundaryTest, ABodyWhereNoneIsTakenIsRefusedAndCloses) {
  Boundary b = Make();
  for (const char* framing : {"Content-Length: 5\r\n", "Transfer-Encoding: chunked\r\n"}) {
    auto d = b.Admit(Head("GET /ping", framing), "c");
    ASSERT_FALSE(d.admitted);
    EXPECT_EQ(d.refused.response.status, 413);
    EXPECT_TRUE(d.refused.close);
    EXPECT_NE(d.refused.response.body().find("body_not_allowed"), std::string::npos);
  }
  EXPECT_TRUE(b.Admit(Head("GET /ping", "Content-Length: 0\r\n"), "c").admitted);
}

TEST_F(BoundaryTest, UnknownRoutesAndMethods) {
  Boundary b = Make();
  auto missing = b.Admit(Head("GET /nope"), "c");
  EXPECT_EQ(missing.refused.response.status, 404);
  EXPECT_FALSE(missing.refused.close);
  auto wrong = b.Admit(Head("POST /files/x", "Content-Length: 400000000\r\n"), "c");
  EXPECT_EQ(wrong.refused.response.status, 405);
  EXPECT_TRUE(wrong.refused.close);
  EXPECT_EQ(wrong.refused.response.Header("Allow"), "PUT, GET, HEAD, OPTIONS");
  auto options = b.Admit(Head("OPTIONS /files/x"), "c");
  EXPECT_EQ(options.refused.response.status, 204);
}

TEST_F(BoundaryTest, EarlyAnswersHonourConnectionClose) {
  Boundary b = Make();
  EXPECT_TRUE(b.Admit(Head("GET /nope", "Connection: close\r\n"), "c").refused.close);
  EXPECT_TRUE(b.Admit("GET /nope HTTP/1.0\r\n\r\n", "c").refused.close);
  EXPECT_FALSE(b.Admit("GET /nope HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "c").refused.close);
  EXPECT_FALSE(b.Admit(Head("GET /nope"), "c").refused.close);
}

TEST_F(BoundaryTest, BodySizesAndFramingPerMode) {
  Boundary b = Make();
  EXPECT_EQ(b.Admit(Head("PUT /files/x", "Content-Length: 1001\r\n"), "c").refused.response.status,
            413);
  EXPECT_TRUE(b.Admit(Head("PUT /files/x", "Content-Length: 1000\r\n"), "c").admitted);
  auto unframed = b.Admit(Head("PUT /files/x"), "c");
  EXPECT_EQ(unframed.refused.response.status, 411);
  auto small = b.Admit(Head("POST /batch-download", "Content-Length: 1048577\r\n"), "c");
  EXPECT_EQ(small.refused.response.status, 413);
  // A multipart body is its files plus their framing.
  EXPECT_TRUE(b.Admit(Head("POST /upload", "Content-Length: 5000\r\n"), "c").admitted);
  auto gz = b.Admit(Head("PUT /files/x", "Content-Length: 3\r\nContent-Encoding: gzip\r\n"), "c");
  EXPECT_EQ(gz.refused.response.status, 415);
  auto expect = b.Admit(Head("PUT /files/x", "Content-Length: 3\r\nExpect: later\r\n"), "c");
  EXPECT_EQ(expect.refused.response.status, 417);
  auto both =
      b.Admit(Head("PUT /files/x", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"), "c");
  EXPECT_EQ(both.refused.response.status, 400);
  EXPECT_TRUE(both.refused.close);
}

TEST_F(BoundaryTest, RateLimitRunsBeforeTheKeyCheck) {
  Boundary b = Make();
  std::vector<std::string> calls;
  b.SetRateCheck([&calls](std::string_view, RateClass) {
    calls.push_back("rate");
    return RateVerdict{false, {{"Retry-After", "7"}}, "slow down"};
  });
  b.SetAccessCheck([&calls](const Request&, Access, std::string&) {
    calls.push_back("access");
    return std::optional<Error>(Error{Errc::kUnauthorized, "no key"});
  });
  auto d = b.Admit(Head("PUT /files/x", "Content-Length: 3\r\n"), "c");
  EXPECT_EQ(d.refused.response.status, 429);
  EXPECT_EQ(d.refused.response.Header("Retry-After"), "7");
  EXPECT_TRUE(d.refused.close);
  EXPECT_EQ(calls, std::vector<std::string>{"rate"});
  // Exempt rows never reach the limiter.
  calls.clear();
  EXPECT_TRUE(b.Admit(Head("GET /ping"), "c").admitted);
  EXPECT_TRUE(calls.empty());
}

TEST_F(BoundaryTest, UnauthorizedAsksForAKey) {
  Boundary b = Make();
  b.SetAccessCheck([](const Request&, Access, std::string&) {
    return std::optional<Error>(Error{Errc::kUnauthorized, "no key"});
  });
  auto d = b.Admit(Head("GET /files/x"), "c");
  EXPECT_EQ(d.refused.response.status, 401);
  EXPECT_FALSE(d.refused.close);
  EXPECT_FALSE(d.refused.response.Header("WWW-Authenticate").empty());
  EXPECT_TRUE(b.Admit(Head("GET /ping"), "c").admitted);
}

TEST_F(BoundaryTest, BodySlotsPerClientAndInAll) {
  Boundary b = Make();
  auto first = b.Admit(Head("PUT /files/a", "Content-Length: 3\r\n"), "one");
  ASSERT_TRUE(first.admitted);
  auto again = b.Admit(Head("PUT /files/b", "Content-Length: 3\r\n"), "one");
  EXPECT_EQ(again.refused.response.status, 429);
  auto other = b.Admit(Head("PUT /files/b", "Content-Length: 3\r\n"), "two");
  ASSERT_TRUE(other.admitted);
  auto third = b.Admit(Head("PUT /files/c", "Content-Length: 3\r\n"), "three");
  EXPECT_EQ(third.refused.response.status, 503);
  first.admitted.reset();
  EXPECT_TRUE(b.Admit(Head("PUT /files/b", "Content-Length: 3\r\n"), "one").admitted);
}

}  // namespace
}  // namespace fsvc
