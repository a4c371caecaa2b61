// CORS against the real binary: off by default; with origins configured,
// preflights answered from the route table, allowed origins get their
// headers on every answer (refusals included), other origins none, and a
// wildcard with credentials refused at start.
#include <gtest/gtest.h>

#include "raw_http.h"
#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

constexpr const char* kSite = "https://app.example";

RawReply Preflight(int port, const std::string& path, const std::string& origin,
                   const std::string& method, const std::string& headers = "") {
  std::string req = "OPTIONS " + path + " HTTP/1.1\r\nHost: t\r\nOrigin: " + origin +
                    "\r\nAccess-Control-Request-Method: " + method + "\r\n";
  if (!headers.empty()) req += "Access-Control-Request-Headers: " + headers + "\r\n";
  return SendRaw(port, req + "Connection: close\r\n\r\n");
}

bool Has(const RawReply& r, const std::string& line) {
  return r.text.find("\r\n" + line + "\r\n") != std::string::npos;
}

TEST(Cors, OffByDefault) {
  ServerProcess s;
  ASSERT_TRUE(s.Start()) << s.Stderr();
  auto r = s.Client()->Get("/ping", {{"Origin", kSite}});
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
  const RawReply pre = Preflight(s.port(), "/files/a", kSite, "PUT");
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.text.find("Access-Control-"), std::string::npos) << pre.text;
}

class CorsOn : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>(ServerProcess::Options{
        {"--cors-allowed-origins=https://app.example, http://localhost:3000",
         "--cors-allowed-methods=GET, HEAD, PUT, DELETE", "--cors-allow-credentials=true"},
        {},
        {},
        ""});
    ASSERT_TRUE(server_->Start()) << server_->Stderr();
  }
  static void TearDownTestSuite() { server_.reset(); }
  static std::unique_ptr<ServerProcess> server_;
};
std::unique_ptr<ServerProcess> CorsOn::server_;

TEST_F(CorsOn, PreflightFromTheRouteTable) {
  const RawReply r =
      Preflight(server_->port(), "/files/a.txt", kSite, "PUT", "If-Match, content-type");
  EXPECT_EQ(r.status, 204) << r.text;
  EXPECT_TRUE(Has(r, "Access-Control-Allow-Origin: https://app.example")) << r.text;
  EXPECT_TRUE(Has(r, "Access-Control-Allow-Credentials: true")) << r.text;
  EXPECT_TRUE(Has(r, "Vary: Origin")) << r.text;
  // The path's methods that the policy allows: no POST (not configured).
  EXPECT_TRUE(Has(r, "Access-Control-Allow-Methods: PUT, GET, HEAD, DELETE")) << r.text;
  EXPECT_NE(r.text.find("Access-Control-Allow-Headers: "), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("Access-Control-Max-Age: 600"), std::string::npos) << r.text;
}

TEST_F(CorsOn, PreflightRefusals) {
  const int port = server_->port();
  // A method the path is not served by (the table has no POST /files/...).
  EXPECT_EQ(Preflight(port, "/files/a", kSite, "PATCH").text.find("Access-Control-"),
            std::string::npos);
  // A method the policy leaves out, though the route exists.
  EXPECT_EQ(Preflight(port, "/upload", kSite, "POST").text.find("Access-Control-"),
            std::string::npos);
  // An origin not on the list; a header not on the list.
  EXPECT_EQ(Preflight(port, "/files/a", "https://evil.example", "GET").text.find("Access-Control-"),
            std::string::npos);
  EXPECT_EQ(Preflight(port, "/files/a", kSite, "GET", "X-Secret").text.find("Access-Control-"),
            std::string::npos);
  // No route: 404, as without CORS.
  EXPECT_EQ(Preflight(port, "/nowhere", kSite, "GET").status, 404);
}

TEST_F(CorsOn, ActualRequestsAndRefusalsCarryTheHeaders) {
  auto c = server_->Client();
  ASSERT_EQ(c->Put("/files/cors/a", "x", "text/plain")->status, 201);
  auto get = c->Get("/files/cors/a", {{"Origin", "http://localhost:3000"}});
  EXPECT_EQ(get->get_header_value("Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_NE(get->get_header_value("Access-Control-Expose-Headers").find("ETag"), std::string::npos);
  auto refused = c->Get("/nowhere", {{"Origin", kSite}});
  EXPECT_EQ(refused->status, 404);
  EXPECT_EQ(refused->get_header_value("Access-Control-Allow-Origin"), kSite);
  auto other = c->Get("/files/cors/a", {{"Origin", "https://evil.example"}});
  EXPECT_FALSE(other->has_header("Access-Control-Allow-Origin"));
  EXPECT_FALSE(c->Get("/files/cors/a")->has_header("Access-Control-Allow-Origin"));
}

TEST(Cors, WildcardWithoutCredentialsSaysStar) {
  ServerProcess s(ServerProcess::Options{{"--cors-allowed-origins=*"}, {}, {}, ""});
  ASSERT_TRUE(s.Start()) << s.Stderr();
  auto r = s.Client()->Get("/ping", {{"Origin", "https://any.example"}});
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "*");
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Credentials"));
}

TEST(Cors, WildcardWithCredentialsIsRefusedAtStart) {
  ServerProcess s(ServerProcess::Options{
      {"--cors-allowed-origins=*", "--cors-allow-credentials=true"}, {}, {}, ""});
  EXPECT_FALSE(s.Start());
  EXPECT_NE(s.Stderr().find("CORS_ALLOW_CREDENTIALS"), std::string::npos) << s.Stderr();
}

}  // namespace
}  // namespace fsvc::testing
