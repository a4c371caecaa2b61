#include "observability/request_metrics.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "observability/thread_shard.h"

namespace fsvc {
namespace {

std::chrono::steady_clock::rep Now() {
  return std::chrono::steady_clock::now().time_since_epoch().count();
}

int ClampStatus(int status) {
  return status >= 100 && status < 600 ? status : 599;
}

}  // namespace

RequestMetrics::RequestMetrics()
    : route_shards_(std::make_unique<RouteShard[]>(kRouteShards)), reset_at_(Now()) {}

void RequestMetrics::OnStart() {
  active_.fetch_add(1, std::memory_order_relaxed);
}

void RequestMetrics::OnFinish(std::string_view route, int status,
                              std::chrono::nanoseconds latency) {
  active_.fetch_sub(1, std::memory_order_relaxed);
  status = ClampStatus(status);
  statuses_[status].fetch_add(1, std::memory_order_relaxed);
  latency_us_.Record(static_cast<uint64_t>(std::max<int64_t>(0, latency.count() / 1000)));
  RouteShard& shard = route_shards_[ThisThreadShard(kRouteShards)];
  MutexLock lock(shard.mu);
  auto it = shard.routes.find(route);
  if (it == shard.routes.end()) it = shard.routes.emplace(std::string(route), RouteCounts{}).first;
  ++it->second.requests;
  if (status >= 400 && status < 500) ++it->second.client_errors;
  if (status >= 500) ++it->second.server_errors;
}

void RequestMetrics::Reset() {
  for (auto& s : statuses_) s.store(0, std::memory_order_relaxed);
  latency_us_.Reset();
  for (size_t i = 0; i < kRouteShards; ++i) {
    MutexLock lock(route_shards_[i].mu);
    route_shards_[i].routes.clear();
  }
  reset_at_.store(Now(), std::memory_order_relaxed);
}

RequestMetrics::Snapshot RequestMetrics::Take() const {
  Snapshot s;
  s.seconds_since_reset =
      std::chrono::duration<double>(
          std::chrono::steady_clock::duration(Now() - reset_at_.load(std::memory_order_relaxed)))
          .count();
  s.active = active_.load(std::memory_order_relaxed);
  for (int code = 0; code < static_cast<int>(statuses_.size()); ++code) {
    uint64_t n = statuses_[code].load(std::memory_order_relaxed);
    if (n == 0) continue;
    s.statuses[code] = n;
    s.total += n;
  }
  for (size_t i = 0; i < kRouteShards; ++i) {
    MutexLock lock(route_shards_[i].mu);
    for (const auto& [route, c] : route_shards_[i].routes) {
      RouteCounts& merged = s.routes[route];
      merged.requests += c.requests;
      merged.client_errors += c.client_errors;
      merged.server_errors += c.server_errors;
    }
  }
  s.latency_us = latency_us_.Snapshot();
  return s;
}

double RequestMetrics::Snapshot::RequestsPerSecond() const {
  return seconds_since_reset > 0 ? total / seconds_since_reset : 0.0;
}

double RequestMetrics::Snapshot::ErrorRate() const {
  uint64_t errors = 0;
  for (const auto& [code, n] : statuses) errors += code >= 400 ? n : 0;
  return total > 0 ? static_cast<double>(errors) / total : 0.0;
}

double RequestMetrics::Snapshot::ServerErrorRate() const {
  uint64_t errors = 0;
  for (const auto& [code, n] : statuses) errors += code >= 500 ? n : 0;
  return total > 0 ? static_cast<double>(errors) / total : 0.0;
}

std::string RequestMetrics::ToJson() const {
  const Snapshot s = Take();
  nlohmann::json j;
  j["seconds_since_reset"] = s.seconds_since_reset;
  j["total"] = s.total;
  j["active"] = s.active;
  j["requests_per_second"] = s.RequestsPerSecond();
  j["error_rate"] = s.ErrorRate();
  j["server_error_rate"] = s.ServerErrorRate();
  j["status_codes"] = nlohmann::json::object();
  for (const auto& [code, n] : s.statuses) j["status_codes"][std::to_string(code)] = n;
  j["routes"] = nlohmann::json::object();
  for (const auto& [route, c] : s.routes) {
    j["routes"][route] = {{"requests", c.requests},
                          {"client_errors", c.client_errors},
                          {"server_errors", c.server_errors}};
  }
  auto ms = [](uint64_t us) { return static_cast<double>(us) / 1000.0; };
  const HistogramSnapshot& h = s.latency_us;
  j["latency_ms"] = {{"p50", ms(h.Percentile(0.50))},
                     {"p90", ms(h.Percentile(0.90))},
                     {"p95", ms(h.Percentile(0.95))},
                     {"p99", ms(h.Percentile(0.99))},
                     {"max", ms(h.max)},
                     {"mean", h.Mean() / 1000.0}};
  return j.dump();
}

void RequestMetrics::WritePrometheus(PrometheusText& out) const {
  const Snapshot s = Take();
  using T = PrometheusText::Type;
  out.Family("fsvc_http_requests_total", T::kCounter,
             "HTTP requests finished since the last reset, by route pattern.");
  for (const auto& [route, c] : s.routes) out.Sample(c.requests, {{"route", route}});
  out.Family("fsvc_http_responses_total", T::kCounter,
             "HTTP responses since the last reset, by status code.");
  for (const auto& [code, n] : s.statuses) out.Sample(n, {{"code", std::to_string(code)}});
  out.Family("fsvc_http_requests_in_flight", T::kGauge, "HTTP requests being served now.");
  out.Sample(static_cast<double>(s.active));
  out.Family("fsvc_http_request_duration_seconds", T::kHistogram,
             "HTTP request latency, from the first byte read to the last byte written.");
  std::vector<std::pair<double, uint64_t>> buckets;
  for (double le : {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1.0, 2.5, 5.0, 10.0}) {
    buckets.emplace_back(
        le, s.latency_us.CountAtOrBelow(static_cast<uint64_t>(std::llround(le * 1e6))));
  }
  out.HistogramSample(buckets, static_cast<double>(s.latency_us.sum) / 1e6, s.latency_us.count);
}

}  // namespace fsvc
