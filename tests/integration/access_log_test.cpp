// The access log against the real binary: one JSON line per request with
// the documented fields (never the API key), refusals and handler answers
// alike; X-Request-Id kept only from a trusted proxy, generated otherwise,
// and echoed on every response.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "raw_http.h"
#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

const std::string kWriteKey = "write-key-for-the-access-log-test";

std::vector<nlohmann::json> ReadLines(const std::string& file) {
  std::vector<nlohmann::json> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    out.push_back(nlohmann::json::parse(line, nullptr, false));
  }
  return out;
}

// Lines are written after the response: wait until `n` are there.
std::vector<nlohmann::json> WaitForLines(const std::string& file, size_t n) {
  std::vector<nlohmann::json> lines;
  for (int i = 0; i < 200; ++i) {
    lines = ReadLines(file);
    if (lines.size() >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return lines;
}

class AccessLogTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> args) {
    log_file_ = dir_.path() + "/access.log";
    args.push_back("--access-log=" + log_file_);
    args.push_back("--auth=on");
    server_ = std::make_unique<ServerProcess>(
        ServerProcess::Options{std::move(args), {{"API_KEYS", "write:" + kWriteKey}}, {}, ""});
    ASSERT_TRUE(server_->Start()) << server_->Stderr();
  }
  TempDir dir_;
  std::string log_file_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(AccessLogTest, OneLinePerRequestWithTheDocumentedFields) {
  Start({});
  auto c = server_->Client();
  const httplib::Headers key = {{"Authorization", "Bearer " + kWriteKey}};
  auto put = c->Put("/files/log/a.txt", key, "hello", "text/plain");
  ASSERT_EQ(put->status, 201);
  EXPECT_EQ(c->Get("/files/log/a.txt", key)->status, 200);
  EXPECT_EQ(c->Get("/nowhere", key)->status, 404);            // refused by the boundary
  EXPECT_EQ(c->Get("/files/log/missing", key)->status, 404);  // answered by the handler
  EXPECT_EQ(c->Get("/files/log/a.txt")->status, 401);         // no key

  // Each request came on its own connection: lines may be in any order.
  const auto lines = WaitForLines(log_file_, 5);
  ASSERT_EQ(lines.size(), 5u);
  std::string all;
  for (const auto& l : lines) all += l.dump() + "\n";
  SCOPED_TRACE(all);
  auto find = [&](const std::string& method, const std::string& path, int status) {
    for (const auto& l : lines) {
      if (l["method"] == method && l["path"] == path && l["status"] == status) return l;
    }
    return nlohmann::json::object();
  };
  const auto p = find("PUT", "/files/log/a.txt", 201);
  for (const char* field : {"time", "request_id", "client", "key_id", "method", "route", "path",
                            "status", "bytes_in", "bytes_out", "duration_ms", "outcome"}) {
    EXPECT_TRUE(p.contains(field)) << field << " in " << p.dump();
  }
  EXPECT_EQ(p["route"], "/files/{path...}");
  EXPECT_EQ(p["bytes_in"], 5);
  EXPECT_EQ(p["client"], "127.0.0.1");
  EXPECT_FALSE(p["key_id"].get<std::string>().empty());
  EXPECT_EQ(p["outcome"], "ok");
  EXPECT_EQ(p["request_id"], put->get_header_value("X-Request-Id"));
  EXPECT_EQ(find("GET", "/files/log/a.txt", 200)["bytes_out"], 5);
  const auto unrouted = find("GET", "/nowhere", 404);
  EXPECT_EQ(unrouted["route"], "unrouted");
  EXPECT_EQ(unrouted["outcome"], "refused");
  EXPECT_EQ(find("GET", "/files/log/missing", 404)["outcome"], "error");
  const auto no_key = find("GET", "/files/log/a.txt", 401);
  EXPECT_EQ(no_key["outcome"], "refused");
  EXPECT_EQ(no_key["key_id"], "");
  // The key itself never reaches the log.
  std::ifstream in(log_file_);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find(kWriteKey), std::string::npos);
}

TEST_F(AccessLogTest, RequestIdsAreGeneratedUnlessFromATrustedProxy) {
  Start({});
  auto c = server_->Client();
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = c->Get("/ping", {{"X-Request-Id", "client-chosen"}});
    ASSERT_TRUE(r);
    ids.insert(r->get_header_value("X-Request-Id"));
  }
  EXPECT_EQ(ids.size(), 3u) << "one per request";
  EXPECT_EQ(ids.count("client-chosen"), 0u) << "127.0.0.1 is not a trusted proxy here";
  EXPECT_EQ(ids.count(""), 0u);
  // Refusals carry one too.
  EXPECT_FALSE(c->Get("/nowhere")->get_header_value("X-Request-Id").empty());
}

TEST_F(AccessLogTest, TrustedProxyRequestIdIsKeptAndLogged) {
  Start({"--trusted-proxies=10.9.9.9, 127.0.0.1"});
  auto c = server_->Client();
  auto r = c->Get("/ping", {{"X-Request-Id", "proxy-id-42"}});
  EXPECT_EQ(r->get_header_value("X-Request-Id"), "proxy-id-42");
  // A value that could forge log lines is replaced.
  auto bad = c->Get("/ping", {{"X-Request-Id", "a\"b"}});
  EXPECT_NE(bad->get_header_value("X-Request-Id"), "a\"b");
  const auto lines = WaitForLines(log_file_, 2);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0]["request_id"] == "proxy-id-42" || lines[1]["request_id"] == "proxy-id-42");
}

TEST(AccessLogConfig, AnUnwritablePathFailsAtStart) {
  ServerProcess bad(ServerProcess::Options{{"--access-log=/nonexistent/dir/log"}, {}, {}, ""});
  EXPECT_FALSE(bad.Start());
  EXPECT_NE(bad.Stderr().find("ACCESS_LOG"), std::string::npos) << bad.Stderr();
}

}  // namespace
}  // namespace fsvc::testing
