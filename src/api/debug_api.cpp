#include "api/debug_api.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "api/request_params.h"
#include "http/error_response.h"
#include "observability/memory_stats.h"
#include "observability/pprof/cpu_profiler.h"
#include "observability/pprof/debug_pages.h"
#include "observability/pprof/heap_profiler.h"
#include "observability/pprof/mutex_profiler.h"
#include "observability/pprof/render.h"
#include "observability/pprof/wall_profiler.h"
#include "observability/thread_list.h"
#include "util/log.h"

namespace fsvc {

// External linkage on purpose: the server is linked with exported symbols, so this frame is
// named in heap profiles even where addr2line is missing. noinline keeps it a frame.
[[gnu::noinline]] std::unique_ptr<char[]> HoldTestAllocation(size_t bytes) {
  auto buffer = std::make_unique<char[]>(bytes);
  std::memset(buffer.get(), 0x5a, bytes);  // resident, as a real buffer would be
  return buffer;
}

namespace {

using pprof::HttpBody;
using pprof::ProfileFormat;

void Send(Response& res, const Result<HttpBody>& body) {
  if (!body.ok()) return SendError(res, body.error());
  if (!body->content_disposition.empty()) {
    res.SetHeader("Content-Disposition", body->content_disposition);
  }
  res.SetBody(body->body, body->content_type);
}

bool Flag(const Request& req, const char* name) {
  const std::string v = req.Param(name);
  return !v.empty() && v != "0" && v != "false";
}

Result<HttpBody> Render(const Result<pprof::Profile>& profile, ProfileFormat format,
                        const std::string& title) {
  if (!profile.ok()) return profile.error();
  return pprof::RenderProfile(*profile, format, title);
}

// A profile of counters kept since start (heap, mutex contention): as they stand, or with
// ?seconds=N what the next N seconds added (Go's delta profiles). ?debug=1: text.
Handler NowOrWindow(std::function<Result<pprof::Profile>(const Request&)> now,
                    std::function<Result<pprof::Profile>(std::chrono::seconds)> window,
                    int max_seconds, std::string title) {
  return [now = std::move(now), window = std::move(window), max_seconds, title = std::move(title)](
             const Request& req, Response& res) {
    const auto format = Flag(req, "debug") ? ProfileFormat::kText : ProfileFormat::kProto;
    if (!req.HasParam("seconds")) return Send(res, Render(now(req), format, title));
    auto seconds = IntParam(req, "seconds", 1, max_seconds);
    if (!seconds.ok()) return SendError(res, seconds.error());
    Send(res, Render(window(std::chrono::seconds(*seconds)), format, title + " (window)"));
  };
}

// Heap and mutex sampling cost a little on every allocation or contended lock, so they run
// only when profiles can be taken; the heap rate is a power of two for jemalloc (HEAP_SAMPLE_BYTES
// rounded down).
void ConfigureSampling(const Config& config) {
  pprof::SetMutexProfileRate(config.enable_profiling ? config.mutex_profile_rate : 0);
  const int lg = std::max(0, static_cast<int>(std::bit_width(config.heap_sample_bytes)) - 1);
  if (auto st = pprof::SetHeapSampling(config.enable_profiling, lg); !st.ok()) {
    if (config.enable_profiling) LogWarn("heap profiling unavailable: " + st.error().message);
    return;
  }
  if (config.enable_profiling) {
    LogInfo("profiling on: heap sampled every " + std::to_string(uint64_t{1} << lg) +
            " bytes on average; CPU profiles up to " + std::to_string(config.pprof_max_seconds) +
            " s");
  }
}

// Every debugging row: admin only, reads from the read bucket, the rest from the write one.
Route DebugRoute(std::string_view method, std::string_view pattern, std::string_view summary,
                 Handler handler) {
  const bool get = method == "GET";
  return {.method = method,
          .pattern = pattern,
          .access = Access::kAdmin,
          .rate = get ? RateClass::kRead : RateClass::kWrite,
          .body = get ? BodyMode::kNone : BodyMode::kSmall,
          .summary = summary,
          .handler = std::move(handler)};
}

void RegisterProfilingRoutes(HttpServer& server, const Config& config,
                             const std::atomic<bool>& stopping) {
  RouteTable& r = server.routes();
  const int max_seconds = config.pprof_max_seconds;
  auto cpu_profile = [max_seconds, &stopping](const Request& req,
                                              int fallback) -> Result<pprof::Profile> {
    auto seconds = IntParam(req, "seconds", std::min(fallback, max_seconds), max_seconds);
    if (!seconds.ok()) return seconds.error();
    return pprof::CaptureCpuProfile(std::chrono::seconds(*seconds), &stopping);
  };

  const Handler index = [](const Request&, Response& res) { Send(res, pprof::IndexPage()); };
  r.Add(DebugRoute("GET", "/debug/pprof", "Profiling index page", index));
  r.Add(DebugRoute("GET", "/debug/pprof/", "Profiling index page", index));
  Route profile = DebugRoute(
      "GET", "/debug/pprof/profile", "CPU profile (gzipped profile.proto; ?debug=1: text)",
      [cpu_profile](const Request& req, Response& res) {
        const auto format = Flag(req, "debug") ? ProfileFormat::kText : ProfileFormat::kProto;
        Send(res, Render(cpu_profile(req, 30), format, "CPU"));
      });
  profile.query = {{"seconds", false, "how long to sample (default 30)"},
                   {"debug", false, "1: text instead of profile.proto"}};
  r.Add(std::move(profile));
  Route heap = DebugRoute(
      "GET", "/debug/pprof/heap",
      "Live-heap sample, or with ?seconds=N what the heap did in that window (profile.proto)",
      NowOrWindow(
          [](const Request& req) { return pprof::CaptureHeapProfile(Flag(req, "gc")); },
          [&stopping](std::chrono::seconds s) { return pprof::CaptureHeapGrowth(s, &stopping); },
          max_seconds, "Heap"));
  heap.query = {{"gc", false, "1: purge the allocator first"},
                {"seconds", false, "N: a delta profile of the next N seconds instead"},
                {"debug", false, "1: text instead of profile.proto"}};
  r.Add(std::move(heap));
  Route wall = DebugRoute(
      "GET", "/debug/pprof/wall",
      "Wall-clock profile of every thread, waits included (profile.proto; ?format=svg)",
      [max_seconds, &stopping](const Request& req, Response& res) {
        auto seconds = IntParam(req, "seconds", std::min(10, max_seconds), max_seconds);
        if (!seconds.ok()) return SendError(res, seconds.error());
        auto hz = IntParam(req, "hz", 100, 1000);
        if (!hz.ok()) return SendError(res, hz.error());
        const std::string form = req.Param("format");
        const auto format = form == "svg"        ? ProfileFormat::kFlameGraph
                            : Flag(req, "debug") ? ProfileFormat::kText
                                                 : ProfileFormat::kProto;
        Send(res, Render(pprof::CaptureWallProfile(std::chrono::seconds(*seconds), *hz, &stopping),
                         format, "Wall clock (all threads)"));
      });
  wall.query = {{"seconds", false, "how long to sample (default 10)"},
                {"hz", false, "ticks per second, each sampling every thread (default 100)"},
                {"format", false, "svg: a flame graph instead of profile.proto"},
                {"debug", false, "1: text instead of profile.proto"}};
  r.Add(std::move(wall));
  Route mutex = DebugRoute(
      "GET", "/debug/pprof/mutex",
      "Waits on the service's mutexes by the waiter's stack (profile.proto; ?seconds=N: delta)",
      NowOrWindow([](const Request&) { return pprof::CaptureMutexProfile(); },
                  [&stopping](std::chrono::seconds s) {
                    return pprof::CaptureMutexProfileDelta(s, &stopping);
                  },
                  max_seconds, "Mutex waits"));
  mutex.query = {{"seconds", false, "N: only the waits of the next N seconds"},
                 {"debug", false, "1: text instead of profile.proto"}};
  r.Add(std::move(mutex));
  Route flamegraph = DebugRoute(
      "GET", "/debug/pprof/flamegraph", "SVG flame graph of a CPU profile or the live heap",
      [cpu_profile](const Request& req, Response& res) {
        if (req.Param("type") == "heap") {
          return Send(res, Render(pprof::CaptureHeapProfile(Flag(req, "gc")),
                                  ProfileFormat::kFlameGraph, "Live heap (inuse_space)"));
        }
        Send(res, Render(cpu_profile(req, 10), ProfileFormat::kFlameGraph, "CPU"));
      });
  flamegraph.query = {{"seconds", false, "how long to sample (default 10)"},
                      {"type", false, "heap: the live heap instead of CPU"}};
  r.Add(std::move(flamegraph));
  Route threads = DebugRoute("GET", "/debug/pprof/threads", "Every thread: name, state, CPU time",
                             [](const Request& req, Response& res) {
                               const auto list = ListThreads();
                               if (req.Param("format") == "json") {
                                 return res.SetBody(ThreadsJson(list), "application/json");
                               }
                               res.SetBody(ThreadsText(list), "text/plain; charset=utf-8");
                             });
  threads.query = {{"format", false, "json: JSON instead of text"}};
  r.Add(std::move(threads));
  r.Add(DebugRoute("GET", "/debug/pprof/cmdline", "The NUL-separated command line",
                   [](const Request&, Response& res) { Send(res, pprof::CmdlinePage()); }));
  // Go's protocol puts the addresses in the raw query ("?0x1+0x2") or the POST body.
  r.Add(DebugRoute(
      "GET", "/debug/pprof/symbol", "Go's symbol protocol: addresses in the raw query",
      [](const Request& req, Response& res) { Send(res, pprof::SymbolPage(req.RawQuery())); }));
  r.Add(DebugRoute(
      "POST", "/debug/pprof/symbol", "Go's symbol protocol: addresses in the body",
      [](const Request& req, Response& res) { Send(res, pprof::SymbolPage(req.body)); }));

  Route alloc =
      DebugRoute("POST", "/debug/alloc-test", "Hold one known allocation of ?bytes=N (0 frees it)",
                 [](const Request& req, Response& res) {
                   static std::mutex mu;
                   static std::unique_ptr<char[]> held;
                   const std::string v = req.Param("bytes");
                   uint64_t bytes = 0;
                   auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), bytes);
                   constexpr uint64_t kMax = uint64_t{1} << 30;
                   if (ec != std::errc() || end != v.data() + v.size() || bytes > kMax) {
                     return SendError(
                         res, {Errc::kInvalidArgument, "bytes must be a whole number up to 1 GiB"});
                   }
                   std::unique_ptr<char[]> old;
                   {
                     std::lock_guard<std::mutex> lock(mu);
                     old = std::move(held);
                     if (bytes > 0) held = HoldTestAllocation(bytes);
                   }
                   SendJson(res, 200, {{"held_bytes", bytes}});
                 });
  alloc.query = {{"bytes", true, "bytes to hold, up to 1 GiB"}};
  r.Add(std::move(alloc));
}

}  // namespace

void RegisterDebugRoutes(HttpServer& server, const Config& config,
                         const std::atomic<bool>& stopping) {
  server.routes().Add(DebugRoute(
      "POST", "/debug/purge", "Purge the allocator's arenas; memory before and after",
      [&config](const Request&, Response& res) {
        auto report = PurgeAndReport([&config] { return ReadCgroupMemory(config.limits); });
        if (!report.ok()) return SendError(res, report.error());
        res.SetBody(ToJson(*report), "application/json");
      }));
  ConfigureSampling(config);
  if (config.enable_profiling) RegisterProfilingRoutes(server, config, stopping);
}

}  // namespace fsvc
