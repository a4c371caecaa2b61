#include "api/metrics_api.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "http/error_response.h"
#include "observability/memory_stats.h"
#include "observability/prometheus_text.h"
#include "observability/request_phases.h"

namespace fsvc {
namespace {

using Clock = std::chrono::steady_clock;
using T = PrometheusText::Type;

// Set by the middleware, consumed by the observer of the same request: httplib serves a
// request on one thread from its header to its logger call. Requests that never reach the
// middleware (malformed, or refused by the body-size gate) leave it unset.
thread_local std::optional<Clock::time_point> t_started;

// The pattern of the route that served `req`: httplib keeps the regex match of the handler
// it dispatched to (and none when no handler ran), so the literal parts come from the path
// and every capture becomes "*". The label set is therefore bounded by the route table.
std::string RouteLabel(const httplib::Request& req) {
  if (req.matches.empty()) return "unrouted";
  std::string label = req.method + " ";
  size_t pos = 0;
  for (size_t i = 1; i < req.matches.size(); ++i) {
    if (!req.matches[i].matched) continue;
    const auto begin = static_cast<size_t>(req.matches.position(i));
    if (begin < pos) continue;  // nested inside a capture already replaced
    label.append(req.path, pos, begin - pos);
    label += '*';
    pos = begin + static_cast<size_t>(req.matches.length(i));
  }
  label.append(req.path, pos);
  return label;
}

template <class V>
nlohmann::json OrNull(const std::optional<V>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json SizingJson(const Config& c) {
  const MachineLimits& l = c.limits;
  return {{"cgroup", l.cgroup_version},
          {"online_cpus", l.online_cpus},
          {"cpu_quota_cores", OrNull(l.cpu_quota_cores)},
          {"effective_cpus", l.EffectiveCpus()},
          {"memory_limit_bytes", OrNull(l.memory_limit_bytes)},
          {"effective_memory_bytes", l.EffectiveMemory()},
          {"threads", c.threads},
          {"max_connections", c.max_connections},
          {"max_concurrent_uploads", c.max_concurrent_uploads},
          {"max_upload_inflight_bytes", c.max_upload_inflight_bytes},
          {"url_cache_max_bytes", c.url_cache_max_bytes},
          {"url_cache_max_entries", c.url_cache_max_entries},
          {"alloc_decay_ms", c.alloc_decay_ms}};
}

namespace {

void Gauge(PrometheusText& t, const char* name, const char* help, double value) {
  t.Family(name, T::kGauge, help);
  t.Sample(value);
}
void Counter(PrometheusText& t, const char* name, const char* help, double value) {
  t.Family(name, T::kCounter, help);
  t.Sample(value);
}

void WriteSizing(const Config& c, PrometheusText& t) {
  if (c.limits.cpu_quota_cores) {
    Gauge(t, "fsvc_cgroup_cpu_quota_cores", "CPU quota of the cgroup, in cores.",
          *c.limits.cpu_quota_cores);
  }
  Gauge(t, "fsvc_effective_cpus", "CPUs the service sized itself by (quota, else affinity).",
        c.limits.EffectiveCpus());
  Gauge(t, "fsvc_config_threads", "Worker threads configured (derived from CPU and memory).",
        c.threads);
  Gauge(t, "fsvc_config_max_concurrent_uploads", "Uploads allowed at once.",
        c.max_concurrent_uploads);
  Gauge(t, "fsvc_config_url_cache_max_bytes", "Byte budget of the URL cache.",
        static_cast<double>(c.url_cache_max_bytes));
}

void WriteServer(const ServerStats& s, PrometheusText& t) {
  Gauge(t, "fsvc_server_threads", "Threads of the request pool.", s.threads);
  Gauge(t, "fsvc_server_busy_threads", "Pool threads serving a request now.", s.busy_threads);
  Gauge(t, "fsvc_server_max_threads", "Most threads the pool may start.", s.max_threads);
  Counter(t, "fsvc_server_thread_handoffs_total",
          "Threads woken or started because queued work had stopped moving.", s.handoffs);
  Gauge(t, "fsvc_server_queue_depth", "Requests waiting for a thread.", s.queue_depth);
  Gauge(t, "fsvc_server_open_connections", "Open client connections.", s.open_connections);
  Gauge(t, "fsvc_server_parked_connections", "Idle or mid-header connections holding no thread.",
        s.parked_connections);
  Counter(t, "fsvc_server_accepted_connections_total", "Connections accepted.",
          s.accepted_connections);
  t.Family("fsvc_server_rejected_total", T::kCounter,
           "Requests refused with 503 to keep overload bounded, by reason.");
  t.Sample(s.rejected_queue_full, {{"reason", "queue_full"}});
  t.Sample(s.rejected_connection_limit, {{"reason", "connection_limit"}});
  t.Sample(s.uploads_rejected, {{"reason", "upload_limit"}});
  t.Family("fsvc_server_deadline_closes_total", T::kCounter,
           "Connections closed by a deadline, by kind.");
  t.Sample(s.header_timeouts, {{"kind", "header"}});
  t.Sample(s.read_timeouts, {{"kind", "read"}});
  t.Sample(s.write_timeouts, {{"kind", "write"}});
  t.Sample(s.idle_closes, {{"kind", "idle"}});
  Gauge(t, "fsvc_server_uploads_in_flight", "Uploads in progress.", s.uploads_in_flight);
  Gauge(t, "fsvc_server_upload_bytes_in_flight", "Bytes declared by uploads in progress.",
        s.upload_bytes_in_flight);
}

void WriteUrlCache(const UrlCacheStats& s, PrometheusText& t) {
  Counter(t, "fsvc_url_cache_hits_total", "Download-link cache hits.", s.hits);
  Counter(t, "fsvc_url_cache_misses_total", "Download-link cache misses.", s.misses);
  Counter(t, "fsvc_url_cache_evictions_total", "Links evicted to stay within the budget.",
          s.evictions);
  Counter(t, "fsvc_url_cache_expirations_total", "Links removed because their TTL passed.",
          s.expirations);
  Gauge(t, "fsvc_url_cache_entries", "Links cached.", s.entries);
  Gauge(t, "fsvc_url_cache_bytes", "Bytes charged to the link cache budget.", s.bytes);
}

void WriteRateLimiter(const RateLimiterStats& s, PrometheusText& t) {
  t.Family("fsvc_rate_limiter_decisions_total", T::kCounter,
           "Rate limiter decisions, by outcome (denied requests got 429).");
  t.Sample(s.allowed, {{"outcome", "allowed"}});
  t.Sample(s.denied, {{"outcome", "denied"}});
  Gauge(t, "fsvc_rate_limiter_clients", "Clients with a token bucket.", s.clients);
  t.Family("fsvc_rate_limiter_evictions_total", T::kCounter,
           "Client buckets dropped: idle ones (harmless) or to stay in bound (table too small).");
  t.Sample(s.idle_evictions, {{"reason", "idle"}});
  t.Sample(s.full_evictions, {{"reason", "full"}});
}

std::string FormatMillis(Clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", std::chrono::duration<double, std::milli>(d).count());
  return buf;
}

}  // namespace

void RegisterMetricsRoutes(HttpServer& server, RequestMetrics& metrics, const Config& config,
                           const LinkService& links, const RateLimiter& limiter) {
  server.AddMiddleware([&metrics](const httplib::Request&, httplib::Response&) {
    t_started = Clock::now();
    ResetRequestPhases();
    metrics.OnStart();
    return false;
  });
  server.AddObserver([&metrics](const httplib::Request& req, const httplib::Response& res,
                                std::chrono::nanoseconds elapsed) {
    // Keeps the in-flight gauge balanced for requests the middleware never saw.
    if (!t_started) metrics.OnStart();
    t_started.reset();
    metrics.OnFinish(RouteLabel(req), res.status, elapsed);
  });
  if (config.server_timing) {
    // Runs after the handler, before the response header is written (so a streamed body's
    // own time is not in it: the header has left by then).
    server.routes().set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
      if (t_started) {
        const PhaseTotals& p = CurrentRequestPhases();
        res.set_header("Server-Timing",
                       "metadata;dur=" + FormatMillis(p.by_phase[int(Phase::kMetadata)]) +
                           ", disk;dur=" + FormatMillis(p.by_phase[int(Phase::kDisk)]) +
                           ", total;dur=" + FormatMillis(Clock::now() - *t_started));
      }
    });
  }

  auto& r = server.routes();
  r.Get("/metrics/requests", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.ToJson(), "application/json");
  });
  server.Post("/metrics/reset",
              [&metrics](const httplib::Request&, const std::string&, httplib::Response& res) {
                metrics.Reset();
                SendJson(res, 200, {{"reset", true}});
              });
  r.Get("/metrics/memory", [&config](const httplib::Request&, httplib::Response& res) {
    nlohmann::json body = MemoryStatsJson(ReadMemoryStats(ReadCgroupMemory(config.limits)));
    body["sizing"] = SizingJson(config);
    SendJson(res, 200, body);
  });
  r.Get("/metrics", [&server, &metrics, &config, &links, &limiter](const httplib::Request&,
                                                                   httplib::Response& res) {
    PrometheusText text;
    metrics.WritePrometheus(text);
    WritePrometheus(ReadMemoryStats(ReadCgroupMemory(config.limits)), text);
    WriteSizing(config, text);
    WriteServer(server.Stats(), text);
    WriteUrlCache(links.CacheStats(), text);
    if (!config.disable_rate_limiter) WriteRateLimiter(limiter.Stats(), text);
    if (!text.ok()) {
      return SendError(res, {Errc::kInternal, "metrics exposition refused a sample (a bug)"});
    }
    res.set_content(text.text(), PrometheusText::kContentType);
  });
}

}  // namespace fsvc
