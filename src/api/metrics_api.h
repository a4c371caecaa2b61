// Statistics routes, and the request counting behind them:
//   GET  /metrics/requests  totals, in flight, per route, status codes, error rates,
//                           requests per second, latency percentiles (since the last reset)
//   POST /metrics/reset     zeroes the request counters
//   GET  /metrics/memory    RSS and peak, jemalloc figures, threads, fds, cgroup memory,
//                           uptime, and what the service sized itself by ("sizing")
//   GET  /metrics           all of the above plus the connection machinery, the URL cache
//                           and the rate limiter, in Prometheus text format
//
// Every request is counted under a bounded route label: the label of the route-table row that
// served it ("GET /files/{path...}"), or "unrouted" when the path had no row. With
// config.server_timing every admitted request's response carries "Server-Timing" (metadata,
// disk and total time, from the request header to the response header).
#pragma once

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "http/server.h"
#include "links/link_service.h"
#include "observability/request_metrics.h"
#include "ratelimit/rate_limiter.h"

namespace fsvc {

class FileStore;

// What the service sized itself by (cgroup CPU quota and memory limit) and the defaults it
// derived from them or was given (threads, connections, uploads, URL cache budget); shown in
// /metrics/memory and meant for /health too.
nlohmann::json SizingJson(const Config& config);

// Registers the counting observer and the routes. Every argument must outlive the server.
// `local` is the local storage backend (its commit groups are counted), null on s3.
void RegisterMetricsRoutes(HttpServer& server, RequestMetrics& metrics, const Config& config,
                           const FileStore* local, const LinkService& links,
                           const RateLimiter& limiter);

}  // namespace fsvc
