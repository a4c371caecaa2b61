// Request counters for /metrics/requests and /metrics: totals, in-flight, per route, per
// status, error rates, throughput and latency percentiles since the last Reset.
//
// Contract: OnStart/OnFinish are called by the HTTP server's observer for every request, from any
// thread; they take no global lock (atomics, a sharded histogram, and per-thread-sharded
// route tables). `route` is the route row's label ("GET /files/{path...}"), never the raw path, so
// the table stays bounded; requests that match no row share one label ("unrouted").
// Reset zeroes everything but the in-flight gauge.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "observability/histogram.h"
#include "observability/prometheus_text.h"
#include "util/mutex.h"

namespace fsvc {

class RequestMetrics {
 public:
  RequestMetrics();

  void OnStart();
  void OnFinish(std::string_view route, int status, std::chrono::nanoseconds latency);
  void Reset();

  struct RouteCounts {
    uint64_t requests = 0;
    uint64_t client_errors = 0;  // 4xx
    uint64_t server_errors = 0;  // 5xx
  };
  struct Snapshot {
    double seconds_since_reset = 0;
    uint64_t total = 0;
    int64_t active = 0;
    std::map<int, uint64_t> statuses;
    std::map<std::string, RouteCounts> routes;
    HistogramSnapshot latency_us;
    double RequestsPerSecond() const;
    double ErrorRate() const;        // 4xx and 5xx over all
    double ServerErrorRate() const;  // 5xx over all
  };
  Snapshot Take() const;

  std::string ToJson() const;
  void WritePrometheus(PrometheusText& out) const;

 private:
  static constexpr size_t kRouteShards = 8;
  struct alignas(64) RouteShard {
    Mutex mu;
    std::map<std::string, RouteCounts, std::less<>> routes GUARDED_BY(mu);
  };

  std::atomic<int64_t> active_{0};
  std::array<std::atomic<uint64_t>, 600> statuses_{};  // index = status code (< 600)
  Histogram latency_us_;
  std::unique_ptr<RouteShard[]> route_shards_;
  std::atomic<std::chrono::steady_clock::rep> reset_at_;
};

}  // namespace fsvc
