// The statistics routes against the real binary: request counters with bounded route
// labels and reset, memory figures with the instance sizing, the Prometheus exposition
// (checked by promtool), the purge report, Server-Timing, and /debug/pprof being absent
// unless profiling is enabled.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>

#include "../unit/external_tools.h"
#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

// Sanitizer builds leave jemalloc out; the server says which it runs on.
bool UsesJemalloc(httplib::Client& c) {
  return Json(c.Get("/metrics/memory"))["jemalloc"].is_object();
}

class MetricsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>(
        ServerProcess::Options{{"--server-timing=true"}, {}, {}, ""});
    ASSERT_TRUE(server_->Start()) << server_->Stderr();
  }
  static void TearDownTestSuite() { server_.reset(); }
  std::unique_ptr<httplib::Client> c_ = server_->Client();
  static std::unique_ptr<ServerProcess> server_;
};
std::unique_ptr<ServerProcess> MetricsTest::server_;

TEST_F(MetricsTest, CountsRequestsByRoutePatternAndResets) {
  ASSERT_EQ(c_->Post("/metrics/reset")->status, 200);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c_->Get("/ping")->status, 200);
  ASSERT_EQ(c_->Put("/files/a/b.txt", "hello", "text/plain")->status, 201);
  ASSERT_EQ(c_->Get("/files/a/b.txt")->status, 200);
  ASSERT_EQ(c_->Get("/files/no/such.txt")->status, 404);
  // Unknown paths share one label, however many there are.
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c_->Get("/no-route-" + std::to_string(i))->status, 404);

  const auto m = Json(c_->Get("/metrics/requests"));
  ASSERT_TRUE(m.is_object()) << m;
  const auto& routes = m["routes"];
  EXPECT_EQ(routes["GET /ping"]["requests"], 3) << routes;
  EXPECT_EQ(routes["PUT /files/{path...}"]["requests"], 1) << routes;
  EXPECT_EQ(routes["GET /files/{path...}"]["requests"], 2) << routes;
  EXPECT_EQ(routes["GET /files/{path...}"]["client_errors"], 1) << routes;
  EXPECT_EQ(routes["unrouted"]["requests"], 20) << routes;
  EXPECT_FALSE(routes.contains("GET /files/a/b.txt")) << routes;
  for (const auto& [route, counts] : routes.items()) {
    EXPECT_EQ(route.find("no-route"), std::string::npos) << route;
  }
  EXPECT_GE(m["total"].get<int>(), 27);  // plus the reset itself, if it finished in time
  EXPECT_GE(m["status_codes"]["404"].get<int>(), 21);
  EXPECT_GE(m["active"].get<int>(), 1);  // this request
  EXPECT_GT(m["error_rate"].get<double>(), 0.5);
  EXPECT_EQ(m["server_error_rate"].get<double>(), 0.0);
  const auto& lat = m["latency_ms"];
  EXPECT_LE(lat["p50"].get<double>(), lat["p99"].get<double>());
  EXPECT_LE(lat["p99"].get<double>(), lat["max"].get<double>());
  EXPECT_GT(lat["max"].get<double>(), 0.0);

  ASSERT_EQ(c_->Post("/metrics/reset")->status, 200);
  const auto after = Json(c_->Get("/metrics/requests"));
  EXPECT_LE(after["total"].get<int>(), 1) << after;  // at most the reset request
  EXPECT_FALSE(after["routes"].contains("GET /ping")) << after;
}

TEST_F(MetricsTest, MemoryFiguresAndSizing) {
  auto res = c_->Get("/metrics/memory");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const auto m = Json(res);
  EXPECT_GT(m["rss_bytes"].get<double>(), 1 << 20);
  EXPECT_GE(m["peak_rss_bytes"].get<double>(), m["rss_bytes"].get<double>());
  EXPECT_GT(m["jemalloc"]["allocated_bytes"].get<double>(), 0);
  EXPECT_GE(m["jemalloc"]["resident_bytes"].get<double>(),
            m["jemalloc"]["allocated_bytes"].get<double>() / 2);
  EXPECT_GT(m["threads"].get<int>(), 1);
  EXPECT_GT(m["open_fds"].get<int>(), 2);
  EXPECT_GE(m["uptime_seconds"].get<double>(), 0.0);
  EXPECT_TRUE(m["cgroup"]["version"].is_string());

  const auto health = Json(c_->Get("/health"));
  const auto& sizing = m["sizing"];
  EXPECT_EQ(sizing["threads"], health["threads"]);
  EXPECT_EQ(sizing["cgroup"], health["limits"]["cgroup"]);
  EXPECT_EQ(sizing["memory_limit_bytes"], health["limits"]["memory_limit_bytes"]);
  EXPECT_GT(sizing["effective_cpus"].get<double>(), 0);
  EXPECT_GT(sizing["max_concurrent_uploads"].get<int>(), 0);
  EXPECT_GT(sizing["url_cache_max_bytes"].get<double>(), 0);
}

// The breakdown's named parts come from different sources (jemalloc's counters, smaps,
// /proc/self/status): that they add up to the kernel's RSS within 5 % is what says no big
// part is missing or counted twice.
TEST_F(MetricsTest, MemoryFiguresBreakdownAddsUpToRss) {
  // Something in every part: a file stored (SQLite's cache), a buffer held.
  ASSERT_EQ(c_->Put("/files/breakdown/a.txt", std::string(1 << 20, 'b'), "text/plain")->status,
            201);
  const auto m = Json(c_->Get("/metrics/memory"));
  const auto& b = m["breakdown"];
  ASSERT_TRUE(b.is_object()) << m;
  const double rss = b["rss_bytes"].get<double>();
  EXPECT_GT(rss, 1 << 20);
  double named = 0;
  for (const auto& [name, bytes] : b["process"].items()) {
    if (name == "other") continue;
    EXPECT_GE(bytes.get<double>(), 0) << name;
    named += bytes.get<double>();
  }
  EXPECT_NEAR(named, rss, rss * 0.05) << b.dump(2);
  EXPECT_DOUBLE_EQ(named + b["process"]["other"].get<double>(), rss);
  EXPECT_GT(b["process"]["thread_stacks"].get<double>(), 0) << b;
  EXPECT_GT(b["process"]["mapped_files"].get<double>(), 0) << b;
  EXPECT_GT(b["process"]["library_data"].get<double>(), 0) << b;
  EXPECT_GT(b["process"]["heap_allocated"].get<double>(), 0) << b;
  EXPECT_GT(b["process"]["sqlite"].get<double>(), 0) << b;
  // jemalloc's heap figures, unscaled, are what the scaled parts and the pages never
  // touched add up to (within the rounding of each scaled part).
  const auto& je = m["jemalloc"];
  const double heap_parts =
      b["process"]["heap_allocated"].get<double>() + b["process"]["sqlite"].get<double>() +
      b["process"]["heap_fragmentation"].get<double>() + b["process"]["heap_dirty"].get<double>();
  ASSERT_TRUE(b["heap_not_resident_bytes"].is_number()) << b;
  EXPECT_NEAR(heap_parts + b["heap_not_resident_bytes"].get<double>(),
              je["active_bytes"].get<double>() + je["dirty_bytes"].get<double>(), 4)
      << m;
  std::printf("breakdown: %s\n", b.dump().c_str());
  if (b["cgroup_usage_bytes"].is_null()) return;
  double cgroup = 0;
  for (const auto& [name, bytes] : b["cgroup"].items()) cgroup += bytes.get<double>();
  EXPECT_DOUBLE_EQ(cgroup, b["cgroup_usage_bytes"].get<double>()) << b;
  EXPECT_GT(b["cgroup"]["anon"].get<double>(), 0) << b;
  EXPECT_TRUE(b["cgroup"].contains("page_cache")) << b;
}

TEST_F(MetricsTest, PrometheusExpositionPassesPromtool) {
  ASSERT_EQ(c_->Get("/ping")->status, 200);
  auto res = c_->Get("/metrics");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = res->body;
  for (const char* needle :
       {"fsvc_http_requests_total{route=\"GET /ping\"}",
        "fsvc_http_request_duration_seconds_bucket", "fsvc_http_requests_in_flight",
        "fsvc_process_resident_memory_bytes", "fsvc_server_threads", "fsvc_effective_cpus",
        "fsvc_url_cache_misses_total", "fsvc_server_rejected_total{reason=\"queue_full\"}",
        "fsvc_server_thread_handoffs_total",
        "fsvc_memory_breakdown_bytes{part=\"thread_stacks\"}"}) {
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
  }
  EXPECT_EQ(text.find("fsvc_jemalloc_bytes{kind=\"allocated\"}") != std::string::npos,
            UsesJemalloc(*c_));
  // Tests run with the limiter off, so its families are left out rather than zero.
  EXPECT_EQ(text.find("fsvc_rate_limiter"), std::string::npos);
  if (!ExpectPromtoolClean(text)) GTEST_SKIP() << "promtool not installed";
}

TEST_F(MetricsTest, PurgeReportsBeforeAndAfter) {
  auto res = c_->Post("/debug/purge");
  ASSERT_TRUE(res);
  if (!UsesJemalloc(*c_)) {
    EXPECT_EQ(res->status, 503) << res->body;
    EXPECT_EQ(Json(res)["error"]["code"], "unavailable");
    return;
  }
  ASSERT_EQ(res->status, 200) << res->body;
  const auto p = Json(res);
  EXPECT_GT(p["before"]["rss_bytes"].get<double>(), 0);
  EXPECT_GT(p["after"]["rss_bytes"].get<double>(), 0);
  EXPECT_TRUE(p["rss_released_bytes"].is_number());
  EXPECT_TRUE(p["after"]["jemalloc"].is_object());
}

TEST_F(MetricsTest, ServerTimingHeaderOnEveryResponse) {
  const std::regex timing(
      R"(metadata;dur=([0-9]+\.[0-9]{3}), disk;dur=([0-9]+\.[0-9]{3}), total;dur=([0-9]+\.[0-9]{3}))");
  ASSERT_EQ(c_->Put("/files/timed.txt", "timed", "text/plain")->status, 201);
  for (const char* path :
       {"/ping", "/files/missing.txt", "/metrics/requests", "/files/timed.txt"}) {
    auto res = c_->Get(path);
    ASSERT_TRUE(res);
    const std::string header = res->get_header_value("Server-Timing");
    std::smatch m;
    ASSERT_TRUE(std::regex_match(header, m, timing)) << path << ": '" << header << "'";
    // The phases are parts of the total.
    EXPECT_LE(std::stod(m[1]) + std::stod(m[2]), std::stod(m[3]) + 0.002) << header;
    if (std::string(path) == "/ping") {
      EXPECT_EQ(m[1].str(), "0.000") << "ping touches no metadata";
    }
  }
  // A read of a stored file looks up its row and opens its blob: both phases ran.
  auto read = c_->Get("/files/timed.txt");
  std::smatch m;
  const std::string header = read->get_header_value("Server-Timing");
  ASSERT_TRUE(std::regex_match(header, m, timing)) << header;
  EXPECT_GT(std::stod(m[1]) + std::stod(m[2]), 0.0) << header;
}

TEST(MetricsDefaultsTest, NoProfilingRoutesNorServerTimingUnlessEnabled) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client();
  for (const char* path : {"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/profile?seconds=1",
                           "/debug/pprof/threads"}) {
    auto res = c->Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404) << path;
  }
  EXPECT_EQ(c->Post("/debug/alloc-test?bytes=1024")->status, 404);
  auto ping = c->Get("/ping");
  ASSERT_TRUE(ping);
  EXPECT_FALSE(ping->has_header("Server-Timing"));
  // Not a profiling route (503 where the build has no jemalloc to purge).
  EXPECT_EQ(c->Post("/debug/purge")->status, UsesJemalloc(*c) ? 200 : 503);
}

}  // namespace
}  // namespace fsvc::testing
