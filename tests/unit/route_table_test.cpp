// The route table: how a path finds its row, the service's real rows with
// the policy each one carries (so a change of access, rate class or body
// mode shows up here as a diff), and the OpenAPI document built from them.
#include "http/route_table.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "api/debug_api.h"
#include "api/files_api.h"
#include "api/folders_api.h"
#include "api/links_api.h"
#include "api/metrics_api.h"
#include "api/ops_api.h"
#include "http/server.h"
#include "links/link_service.h"
#include "observability/request_metrics.h"
#include "ratelimit/rate_limiter.h"
#include "storage/file_store.h"

namespace fsvc {
namespace {

namespace fs = std::filesystem;

Route Row(std::string_view method, std::string_view pattern) {
  return {.method = method,
          .pattern = pattern,
          .summary = "a test row",
          .handler = [](const Request&, Response&) {}};
}

TEST(RouteTableTest, FindsLiteralsAndPlaceholders) {
  RouteTable t;
  t.Add(Row("GET", "/ping"));
  t.Add(Row("GET", "/d/{token}"));
  t.Add(Row("GET", "/files/{path...}"));
  t.Add(Row("PUT", "/files/{path...}"));
  t.Add(Row("POST", "/upload"));

  auto ping = t.Find("GET", "/ping");
  ASSERT_NE(ping.route, nullptr);
  EXPECT_EQ(ping.route->pattern, "/ping");
  EXPECT_TRUE(ping.captures.empty());

  auto token = t.Find("GET", "/d/abc.def");
  ASSERT_NE(token.route, nullptr);
  EXPECT_EQ(token.captures, std::vector<std::string>{"abc.def"});
  EXPECT_EQ(t.Find("GET", "/d/a/b").route, nullptr);  // one segment only
  EXPECT_EQ(t.Find("GET", "/d/").route, nullptr);     // and not an empty one

  auto file = t.Find("PUT", "/files/a/b/c.txt");
  ASSERT_NE(file.route, nullptr);
  EXPECT_EQ(file.route->method, "PUT");
  EXPECT_EQ(file.captures, std::vector<std::string>{"a/b/c.txt"});
  EXPECT_EQ(t.Find("GET", "/files/").route, nullptr);

  auto head = t.Find("HEAD", "/files/x");
  ASSERT_NE(head.route, nullptr);
  EXPECT_EQ(head.route->method, "GET");

  EXPECT_EQ(t.Find("GET", "/pingx").route, nullptr);
  EXPECT_EQ(t.Find("GET", "/ping/").route, nullptr);
}

TEST(RouteTableTest, WrongMethodListsTheAllowedOnesAndUnknownPathsNone) {
  RouteTable t;
  t.Add(Row("GET", "/files/{path...}"));
  t.Add(Row("PUT", "/files/{path...}"));
  t.Add(Row("DELETE", "/files/{path...}"));
  t.Add(Row("POST", "/upload"));

  auto post = t.Find("POST", "/files/a");
  EXPECT_EQ(post.route, nullptr);
  EXPECT_EQ(post.allowed, "GET, HEAD, PUT, DELETE");
  auto get = t.Find("GET", "/upload");
  EXPECT_EQ(get.route, nullptr);
  EXPECT_EQ(get.allowed, "POST");
  auto none = t.Find("GET", "/nothing");
  EXPECT_EQ(none.route, nullptr);
  EXPECT_TRUE(none.allowed.empty());  // 404
}

// The service's rows, as main() registers them.
class ServiceRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fsvc-routes-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store_ = std::move(*FileStore::Open({dir_.string(), 1}));
    links_ =
        std::make_unique<LinkService>(*store_, std::move(*LinkSigner::Create(std::string(32, 's'))),
                                      UrlCacheConfig{64, 1 << 20, 1}, std::chrono::seconds(60));
  }
  void TearDown() override {
    links_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  // A server with every Register*Routes called, profiling on or off.
  std::unique_ptr<HttpServer> Build(bool profiling) {
    Config config;
    config.enable_profiling = profiling;
    auto server = std::make_unique<HttpServer>(config);
    RegisterMetricsRoutes(*server, metrics_, config, store_.get(), *links_, limiter_);
    RegisterOpsRoutes(*server, *store_, config);
    RegisterFileRoutes(*server, *store_, config);
    RegisterFolderRoutes(*server, *store_, config);
    RegisterLinkRoutes(*server, *links_, config);
    RegisterDebugRoutes(*server, config, stopping_);
    return server;
  }

  fs::path dir_;
  std::unique_ptr<FileStore> store_;
  std::unique_ptr<LinkService> links_;
  RequestMetrics metrics_;
  RateLimiter limiter_{RateLimiterConfig{}};
  std::atomic<bool> stopping_{false};
};

using Policy = std::tuple<Access, RateClass, BodyMode>;
using A = Access;
using R = RateClass;
using B = BodyMode;

// The whole policy of the service. Changing a row here is changing who may
// do what: review it as such.
const std::map<std::string, Policy> kAlwaysServed = {
    {"GET /ping", {A::kOpen, R::kExempt, B::kNone}},
    {"GET /health", {A::kOpen, R::kExempt, B::kNone}},
    {"GET /openapi.json", {A::kOpen, R::kExempt, B::kNone}},
    {"GET /metrics", {A::kOpen, R::kExempt, B::kNone}},
    {"GET /metrics/requests", {A::kOpen, R::kExempt, B::kNone}},
    {"GET /metrics/memory", {A::kOpen, R::kExempt, B::kNone}},
    {"POST /metrics/reset", {A::kAdmin, R::kExempt, B::kSmall}},
    {"PUT /files/{path...}", {A::kWrite, R::kWrite, B::kStreamed}},
    {"GET /files/{path...}", {A::kRead, R::kRead, B::kNone}},
    {"DELETE /files/{path...}", {A::kWrite, R::kWrite, B::kNone}},
    {"DELETE /delete", {A::kWrite, R::kWrite, B::kNone}},
    {"POST /upload", {A::kWrite, R::kWrite, B::kStreamed}},
    {"POST /batch-upload", {A::kWrite, R::kWrite, B::kStreamed}},
    {"GET /list", {A::kRead, R::kRead, B::kNone}},
    {"GET /list-folders", {A::kRead, R::kRead, B::kNone}},
    {"POST /create-folder", {A::kWrite, R::kWrite, B::kSmall}},
    {"DELETE /delete-folder", {A::kWrite, R::kWrite, B::kNone}},
    {"GET /download", {A::kRead, R::kRead, B::kNone}},
    {"GET /d/{token}", {A::kOpen, R::kRead, B::kNone}},
    {"POST /batch-download", {A::kRead, R::kRead, B::kSmall}},
    {"POST /debug/purge", {A::kAdmin, R::kWrite, B::kSmall}},
};
const std::map<std::string, Policy> kWithProfiling = {
    {"GET /debug/pprof", {A::kAdmin, R::kRead, B::kNone}},
    {"GET /debug/pprof/", {A::kAdmin, R::kRead, B::kNone}},
    {"GET /debug/pprof/profile", {A::kAdmin, R::kRead, B::kNone}},
    {"GET /debug/pprof/heap", {A::kAdmin, R::kRead, B::kNone}},
    {"GET /debug/pprof/flamegraph", {A::kAdmin, R::kRead, B::kNone}},
    {"GET /debug/pprof/wall", {A::kAdmin, R::kRead, B::kNone}},
    {"GET /debug/pprof/mutex", {A::kAdmin, R::kRead, B::kNone}},
    {"GET /debug/pprof/threads", {A::kAdmin, R::kRead, B::kNone}},
    {"GET /debug/pprof/cmdline", {A::kAdmin, R::kRead, B::kNone}},
    {"GET /debug/pprof/symbol", {A::kAdmin, R::kRead, B::kNone}},
    {"POST /debug/pprof/symbol", {A::kAdmin, R::kWrite, B::kSmall}},
    {"POST /debug/alloc-test", {A::kAdmin, R::kWrite, B::kSmall}},
};

std::map<std::string, Policy> PolicyOf(const RouteTable& table) {
  std::map<std::string, Policy> out;
  for (const Route& r : table.routes()) {
    EXPECT_TRUE(out.emplace(r.label(), Policy{r.access, r.rate, r.body}).second) << r.label();
    EXPECT_TRUE(r.handler) << r.label();
    EXPECT_FALSE(r.summary.empty()) << r.label();
  }
  return out;
}

TEST_F(ServiceRoutesTest, EveryRowCarriesItsPolicy) {
  // Profiling on first: the second Build switches heap sampling back off.
  auto profiling = Build(true);
  auto plain = Build(false);
  auto expected = kAlwaysServed;
  EXPECT_EQ(PolicyOf(plain->routes()), expected);
  expected.insert(kWithProfiling.begin(), kWithProfiling.end());
  EXPECT_EQ(PolicyOf(profiling->routes()), expected);
}

TEST_F(ServiceRoutesTest, EveryGuardedRowNeedsAtLeastRead) {
  auto server = Build(true);
  for (const Route& r : server->routes().routes()) {
    if (r.access == Access::kOpen) {
      // Open rows only read: none of them changes state.
      EXPECT_EQ(r.method, "GET") << r.label();
      continue;
    }
    EXPECT_GE(static_cast<int>(r.access), static_cast<int>(Access::kRead)) << r.label();
  }
  (void)Build(false);
}

TEST_F(ServiceRoutesTest, OpenApiDescribesEveryRowOnce) {
  auto server = Build(true);
  const auto& rows = server->routes().routes();
  const auto doc = nlohmann::json::parse(server->routes().OpenApiJson("test"));
  (void)Build(false);
  EXPECT_EQ(doc["openapi"], "3.1.0");
  std::set<std::string> ids;
  size_t operations = 0;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      ++operations;
      EXPECT_TRUE(ids.insert(op["operationId"].get<std::string>()).second)
          << "duplicate operationId " << op["operationId"];
    }
  }
  EXPECT_EQ(operations, rows.size());
  EXPECT_TRUE(doc["paths"].contains("/files/{path}"));
  EXPECT_EQ(doc["paths"]["/d/{token}"]["get"]["security"], nlohmann::json::array());
}

}  // namespace
}  // namespace fsvc
