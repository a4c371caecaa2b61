#include "observability/request_metrics.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "external_tools.h"

namespace fsvc {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(RequestMetricsTest, CountsRoutesStatusesAndLatency) {
  RequestMetrics m;
  for (int i = 0; i < 8; ++i) {
    m.OnStart();
    m.OnFinish("GET /ping", 200, microseconds(100 * (i + 1)));
  }
  m.OnStart();
  m.OnFinish("GET /files/{path}", 404, milliseconds(2));
  m.OnStart();
  m.OnFinish("GET /files/{path}", 500, milliseconds(30));
  m.OnStart();  // still in flight

  auto j = nlohmann::json::parse(m.ToJson());
  EXPECT_EQ(j["total"], 10);
  EXPECT_EQ(j["active"], 1);
  EXPECT_EQ(j["status_codes"]["200"], 8);
  EXPECT_EQ(j["status_codes"]["404"], 1);
  EXPECT_EQ(j["routes"]["GET /ping"]["requests"], 8);
  EXPECT_EQ(j["routes"]["GET /files/{path}"]["client_errors"], 1);
  EXPECT_EQ(j["routes"]["GET /files/{path}"]["server_errors"], 1);
  EXPECT_DOUBLE_EQ(j["error_rate"].get<double>(), 0.2);
  EXPECT_DOUBLE_EQ(j["server_error_rate"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(j["latency_ms"]["max"].get<double>(), 30.0);
  EXPECT_GE(j["latency_ms"]["p50"].get<double>(), 0.5);
  EXPECT_LE(j["latency_ms"]["p50"].get<double>(), 0.55);
  EXPECT_GE(j["latency_ms"]["p99"].get<double>(), 2.0);
  EXPECT_GT(j["requests_per_second"].get<double>(), 0.0);
}

TEST(RequestMetricsTest, ResetKeepsInFlight) {
  RequestMetrics m;
  m.OnStart();
  m.OnStart();
  m.OnFinish("GET /ping", 200, microseconds(5));
  m.Reset();
  auto s = m.Take();
  EXPECT_EQ(s.total, 0u);
  EXPECT_TRUE(s.routes.empty());
  EXPECT_EQ(s.latency_us.count, 0u);
  EXPECT_EQ(s.active, 1);
  EXPECT_DOUBLE_EQ(s.ErrorRate(), 0.0);
}

TEST(RequestMetricsTest, ConcurrentUpdatesAddUp) {
  RequestMetrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 5000; ++i) {
        m.OnStart();
        m.OnFinish(t % 2 ? "GET /a" : "GET /b", 200, microseconds(i));
      }
    });
  }
  for (auto& t : threads) t.join();
  auto s = m.Take();
  EXPECT_EQ(s.total, 30000u);
  EXPECT_EQ(s.active, 0);
  EXPECT_EQ(s.routes["GET /a"].requests, 15000u);
  EXPECT_EQ(s.latency_us.count, 30000u);
}

TEST(RequestMetricsTest, PrometheusOutputPassesPromtool) {
  RequestMetrics m;
  m.OnStart();
  m.OnFinish("GET /files/{path}", 200, microseconds(700));
  m.OnStart();
  m.OnFinish("POST /upload", 413, milliseconds(3));
  PrometheusText out;
  m.WritePrometheus(out);
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out.text().find("fsvc_http_requests_total{route=\"POST /upload\"} 1"),
            std::string::npos)
      << out.text();
  EXPECT_NE(out.text().find("fsvc_http_request_duration_seconds_bucket{le=\"0.001\"} 1"),
            std::string::npos)
      << out.text();
  if (!testing::ExpectPromtoolClean(out.text())) {
    GTEST_SKIP() << "promtool (Debian package prometheus) is not installed";
  }
}

}  // namespace
}  // namespace fsvc
