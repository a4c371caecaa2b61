// Statistics routes, and the request counting behind them:
//   GET  /metrics/requests  totals, in flight, per route, status codes, error rates,
//                           requests per second, latency percentiles (since the last reset)
//   POST /metrics/reset     zeroes the request counters
//   GET  /metrics/memory    RSS and peak, jemalloc figures, threads, fds, cgroup memory,
//                           uptime, and what the service sized itself by ("sizing")
//   GET  /metrics           all of the above plus the connection machinery, the URL cache
//                           and the rate limiter, in Prometheus text format
//
// Every request is counted under a bounded route label: the method and the pattern of the
// route that served it, its regex captures shown as "*" ("GET /files/*"), or "unrouted" when
// no route handler ran (unknown path, or answered before routing: auth, rate limit, body
// size, malformed request). With config.server_timing every response carries
// "Server-Timing: total;dur=<ms>", the time from the request header to the response header.
#pragma once

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "http/server.h"
#include "links/link_service.h"
#include "observability/request_metrics.h"
#include "ratelimit/rate_limiter.h"

namespace fsvc {

// What the service sized itself by (cgroup CPU quota and memory limit) and the defaults it
// derived from them or was given (threads, connections, uploads, URL cache budget); shown in
// /metrics/memory and meant for /health too.
nlohmann::json SizingJson(const Config& config);

// Registers the counting middleware and observer (call it before any other middleware, so
// that requests answered by later middleware are counted as in flight too) and the routes.
// Every argument must outlive the server.
void RegisterMetricsRoutes(HttpServer& server, RequestMetrics& metrics, const Config& config,
                           const LinkService& links, const RateLimiter& limiter);

}  // namespace fsvc
