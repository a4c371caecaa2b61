#include "observability/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "external_tools.h"

namespace fsvc {
namespace {

PrometheusText Sample() {
  PrometheusText p;
  p.Family("fsvc_requests_total", PrometheusText::Type::kCounter,
           "Requests served.\nBy route \\ status.");
  p.Sample(12, {{"route", "GET /files/{path}"}, {"status", "200"}});
  p.Sample(1, {{"route", "weird \"quoted\"\nnewline \\ slash"}, {"status", "500"}});
  p.Family("fsvc_memory_rss_bytes", PrometheusText::Type::kGauge, "Resident set size.");
  p.Sample(123456789);
  p.Family("fsvc_request_duration_seconds", PrometheusText::Type::kHistogram, "Request latency.");
  p.HistogramSample({{0.0005, 3}, {0.001, 7}, {0.25, 9}}, 0.125, 10);
  p.Family("fsvc_ratio", PrometheusText::Type::kGauge, "A fraction.");
  p.Sample(0.1);
  p.Sample(std::nan(""), {{"kind", "undefined"}});
  return p;
}

TEST(PrometheusTextTest, WritesFamiliesOnceWithEscaping) {
  auto p = Sample();
  ASSERT_TRUE(p.ok());
  const std::string& t = p.text();
  EXPECT_NE(t.find("# HELP fsvc_requests_total Requests served.\\nBy route \\\\ status.\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("# TYPE fsvc_requests_total counter\n"), std::string::npos);
  EXPECT_NE(t.find(R"(route="weird \"quoted\"\nnewline \\ slash")"), std::string::npos) << t;
  EXPECT_NE(t.find("fsvc_request_duration_seconds_bucket{le=\"0.0005\"} 3\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("fsvc_request_duration_seconds_bucket{le=\"+Inf\"} 10\n"), std::string::npos);
  EXPECT_NE(t.find("fsvc_request_duration_seconds_count 10\n"), std::string::npos);
  EXPECT_NE(t.find("fsvc_ratio 0.1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("fsvc_ratio{kind=\"undefined\"} NaN\n"), std::string::npos) << t;
}

TEST(PrometheusTextTest, RefusesMisuse) {
  PrometheusText a;
  a.Sample(1);  // no family
  EXPECT_FALSE(a.ok());
  PrometheusText b;
  b.Family("x_total", PrometheusText::Type::kCounter, "x");
  b.Family("x_total", PrometheusText::Type::kCounter, "x again");
  EXPECT_FALSE(b.ok());
  PrometheusText c;
  c.Family("9bad", PrometheusText::Type::kGauge, "bad name");
  EXPECT_FALSE(c.ok());
  PrometheusText d;
  d.Family("g", PrometheusText::Type::kGauge, "g");
  d.Sample(1, {{"bad-label", "v"}});
  EXPECT_FALSE(d.ok());
  EXPECT_EQ(d.text().find("bad-label"), std::string::npos);
}

TEST(PrometheusTextTest, PromtoolAcceptsOutput) {
  if (!testing::ExpectPromtoolClean(Sample().text())) {
    GTEST_SKIP() << "promtool (Debian package prometheus) is not installed";
  }
}

}  // namespace
}  // namespace fsvc
