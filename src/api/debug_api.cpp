#include "api/debug_api.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "api/request_params.h"
#include "http/error_response.h"
#include "observability/memory_stats.h"
#include "observability/pprof/cpu_profiler.h"
#include "observability/pprof/debug_pages.h"
#include "observability/pprof/heap_profiler.h"
#include "observability/pprof/render.h"
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

void Send(httplib::Response& res, const Result<HttpBody>& body) {
  if (!body.ok()) return SendError(res, body.error());
  if (!body->content_disposition.empty()) {
    res.set_header("Content-Disposition", body->content_disposition);
  }
  res.set_content(body->body, body->content_type);
}

bool Flag(const httplib::Request& req, const char* name) {
  const std::string v = req.get_param_value(name);
  return !v.empty() && v != "0" && v != "false";
}

Result<HttpBody> Render(const Result<pprof::Profile>& profile, ProfileFormat format,
                        const std::string& title) {
  if (!profile.ok()) return profile.error();
  return pprof::RenderProfile(*profile, format, title);
}

// Heap sampling costs a little on every allocation, so it runs only when profiles can be
// taken; the rate is a power of two for jemalloc (HEAP_SAMPLE_BYTES rounded down).
void ConfigureHeapSampling(const Config& config) {
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

void RegisterProfilingRoutes(HttpServer& server, const Config& config,
                             const std::atomic<bool>& stopping) {
  auto& r = server.routes();
  const int max_seconds = config.pprof_max_seconds;
  auto cpu_profile = [max_seconds, &stopping](const httplib::Request& req,
                                              int fallback) -> Result<pprof::Profile> {
    auto seconds = IntParam(req, "seconds", std::min(fallback, max_seconds), max_seconds);
    if (!seconds.ok()) return seconds.error();
    return pprof::CaptureCpuProfile(std::chrono::seconds(*seconds), &stopping);
  };

  r.Get("/debug/pprof/?",
        [](const httplib::Request&, httplib::Response& res) { Send(res, pprof::IndexPage()); });
  r.Get("/debug/pprof/profile", [cpu_profile](const httplib::Request& req, httplib::Response& res) {
    const auto format = Flag(req, "debug") ? ProfileFormat::kText : ProfileFormat::kProto;
    Send(res, Render(cpu_profile(req, 30), format, "CPU"));
  });
  r.Get("/debug/pprof/heap", [](const httplib::Request& req, httplib::Response& res) {
    const auto format = Flag(req, "debug") ? ProfileFormat::kText : ProfileFormat::kProto;
    Send(res, Render(pprof::CaptureHeapProfile(Flag(req, "gc")), format, "Heap"));
  });
  r.Get("/debug/pprof/flamegraph",
        [cpu_profile](const httplib::Request& req, httplib::Response& res) {
          if (req.get_param_value("type") == "heap") {
            return Send(res, Render(pprof::CaptureHeapProfile(Flag(req, "gc")),
                                    ProfileFormat::kFlameGraph, "Live heap (inuse_space)"));
          }
          Send(res, Render(cpu_profile(req, 10), ProfileFormat::kFlameGraph, "CPU"));
        });
  r.Get("/debug/pprof/threads", [](const httplib::Request& req, httplib::Response& res) {
    const auto threads = ListThreads();
    if (req.get_param_value("format") == "json") {
      return res.set_content(ThreadsJson(threads), "application/json");
    }
    res.set_content(ThreadsText(threads), "text/plain; charset=utf-8");
  });
  r.Get("/debug/pprof/cmdline",
        [](const httplib::Request&, httplib::Response& res) { Send(res, pprof::CmdlinePage()); });
  // Go's protocol puts the addresses in the raw query ("?0x1+0x2") or the POST body.
  r.Get("/debug/pprof/symbol", [](const httplib::Request& req, httplib::Response& res) {
    const size_t q = req.target.find('?');
    Send(res,
         pprof::SymbolPage(q == std::string::npos ? std::string_view()
                                                  : std::string_view(req.target).substr(q + 1)));
  });
  server.Post("/debug/pprof/symbol",
              [](const httplib::Request&, const std::string& body, httplib::Response& res) {
                Send(res, pprof::SymbolPage(body));
              });

  server.Post("/debug/alloc-test", [](const httplib::Request& req, const std::string&,
                                      httplib::Response& res) {
    static std::mutex mu;
    static std::unique_ptr<char[]> held;
    const std::string v = req.get_param_value("bytes");
    uint64_t bytes = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), bytes);
    constexpr uint64_t kMax = uint64_t{1} << 30;
    if (ec != std::errc() || end != v.data() + v.size() || bytes > kMax) {
      return SendError(res, {Errc::kInvalidArgument, "bytes must be a whole number up to 1 GiB"});
    }
    std::unique_ptr<char[]> old;
    {
      std::lock_guard<std::mutex> lock(mu);
      old = std::move(held);
      if (bytes > 0) held = HoldTestAllocation(bytes);
    }
    SendJson(res, 200, {{"held_bytes", bytes}});
  });
}

}  // namespace

void RegisterDebugRoutes(HttpServer& server, const Config& config,
                         const std::atomic<bool>& stopping) {
  server.Post("/debug/purge",
              [&config](const httplib::Request&, const std::string&, httplib::Response& res) {
                auto report = PurgeAndReport([&config] { return ReadCgroupMemory(config.limits); });
                if (!report.ok()) return SendError(res, report.error());
                res.set_content(ToJson(*report), "application/json");
              });
  ConfigureHeapSampling(config);
  if (config.enable_profiling) RegisterProfilingRoutes(server, config, stopping);
}

}  // namespace fsvc
