#include "api/metrics_api.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "http/error_response.h"
#include "observability/memory_breakdown.h"
#include "observability/memory_stats.h"
#include "observability/prometheus_text.h"
#include "observability/request_phases.h"
#include "storage/file_store.h"
#include "storage/sqlite_memory.h"

namespace fsvc {
namespace {

using Clock = std::chrono::steady_clock;
using T = PrometheusText::Type;

// Set when a request's header block arrives, read when its response is sent: the server
// runs a request's observers on one thread, from its header to its end.
thread_local std::optional<Clock::time_point> t_started;

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
  Counter(t, "fsvc_server_tls_handshake_failures_total",
          "TLS connections closed in their handshake (not TLS, or a broken one).",
          s.tls_handshake_failures);
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

// Their ratio is the mean group size: how many uploads shared each sync.
void WriteCommits(const CommitGroup::Stats& s, PrometheusText& t) {
  Counter(t, "fsvc_storage_commit_groups_total",
          "Storage commits run (one sync of the data and one SQLite transaction each).", s.groups);
  Counter(t, "fsvc_storage_commits_total", "Writes committed, in those groups.", s.entries);
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
                           const FileStore* local, const LinkService& links,
                           const RateLimiter& limiter) {
  RequestObserver observer;
  observer.on_start = [&metrics] {
    t_started = Clock::now();
    ResetRequestPhases();
    metrics.OnStart();
  };
  if (config.server_timing) {
    // After the handler, before the response header is written (so a streamed body's own
    // time is not in it: the header has left by then).
    observer.before_send = [](const Request&, Response& res) {
      if (!t_started) return;
      const PhaseTotals& p = CurrentRequestPhases();
      res.SetHeader("Server-Timing",
                    "metadata;dur=" + FormatMillis(p.by_phase[int(Phase::kMetadata)]) +
                        ", disk;dur=" + FormatMillis(p.by_phase[int(Phase::kDisk)]) +
                        ", total;dur=" + FormatMillis(Clock::now() - *t_started));
    };
  }
  observer.on_finish = [&metrics](std::string_view label, int status,
                                  std::chrono::nanoseconds elapsed) {
    t_started.reset();
    metrics.OnFinish(label, status, elapsed);
  };
  server.AddObserver(std::move(observer));

  RouteTable& r = server.routes();
  r.Add({.method = "GET",
         .pattern = "/metrics/requests",
         .access = Access::kOpen,
         .rate = RateClass::kExempt,
         .body = BodyMode::kNone,
         .summary = "Request counters per route, status codes, latency percentiles",
         .handler = [&metrics](const Request&, Response& res) {
           res.SetBody(metrics.ToJson(), "application/json");
         }});
  r.Add({.method = "POST",
         .pattern = "/metrics/reset",
         .access = Access::kAdmin,
         .rate = RateClass::kExempt,
         .body = BodyMode::kSmall,
         .summary = "Zero the request counters",
         .handler = [&metrics](const Request&, Response& res) {
           metrics.Reset();
           SendJson(res, 200, {{"reset", true}});
         }});
  r.Add({.method = "GET",
         .pattern = "/metrics/memory",
         .access = Access::kOpen,
         .rate = RateClass::kExempt,
         .body = BodyMode::kNone,
         .summary = "Memory figures, threads, fds, and what the service sized itself by",
         .handler = [&config](const Request&, Response& res) {
           const MemoryStats stats = ReadMemoryStats(ReadCgroupMemory(config.limits));
           nlohmann::json body = MemoryStatsJson(stats);
           body["breakdown"] = BreakdownJson(
               ReadMemoryBreakdown(config.limits, stats.jemalloc, SqliteMemoryBytes()));
           body["sizing"] = SizingJson(config);
           SendJson(res, 200, body);
         }});
  r.Add(
      {.method = "GET",
       .pattern = "/metrics",
       .access = Access::kOpen,
       .rate = RateClass::kExempt,
       .body = BodyMode::kNone,
       .summary = "Every figure in the Prometheus text format",
       .handler = [&server, &metrics, &config, local, &links, &limiter](const Request&,
                                                                        Response& res) {
         PrometheusText text;
         metrics.WritePrometheus(text);
         const MemoryStats memory = ReadMemoryStats(ReadCgroupMemory(config.limits));
         WritePrometheus(memory, text);
         WritePrometheus(ReadMemoryBreakdown(config.limits, memory.jemalloc, SqliteMemoryBytes()),
                         text);
         WriteSizing(config, text);
         WriteServer(server.Stats(), text);
         WriteUrlCache(links.CacheStats(), text);
         if (local) WriteCommits(local->commit_stats(), text);
         if (!config.disable_rate_limiter) WriteRateLimiter(limiter.Stats(), text);
         if (!text.ok()) {
           return SendError(res, {Errc::kInternal, "metrics exposition refused a sample (a bug)"});
         }
         res.SetBody(text.text(), PrometheusText::kContentType);
       }});
}

}  // namespace fsvc
