#include "api/ops_api.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "api/metrics_api.h"
#include "http/error_response.h"

namespace fsvc {
namespace {

nlohmann::json LimitsJson(const MachineLimits& l) {
  return {{"cgroup", l.cgroup_version},
          {"cpu_cores", l.EffectiveCpus()},
          {"cpu_quota_cores", l.cpu_quota_cores ? nlohmann::json(*l.cpu_quota_cores) : nullptr},
          {"memory_limit_bytes",
           l.memory_limit_bytes ? nlohmann::json(*l.memory_limit_bytes) : nullptr},
          {"memory_effective_bytes", l.EffectiveMemory()}};
}

}  // namespace

void RegisterOpsRoutes(HttpServer& server, Storage& store, const Config& config) {
  const auto started = std::chrono::steady_clock::now();
  RouteTable& r = server.routes();
  // The body is built once: /ping is the hottest route in every load test.
  static const std::string kPong = R"({"message":"pong"})";
  r.Add({.method = "GET",
         .pattern = "/ping",
         .access = Access::kOpen,
         .rate = RateClass::kExempt,
         .body = BodyMode::kNone,
         .summary = "Liveness: answers while the process serves HTTP",
         .handler = [](const Request&, Response& res) { res.SetBody(kPong, "application/json"); }});
  r.Add({.method = "GET",
         .pattern = "/health",
         .access = Access::kOpen,
         .rate = RateClass::kExempt,
         .body = BodyMode::kNone,
         .summary = "Readiness: database and data folder checked, limits, uptime",
         .handler = [&server, &store, &config, started](const Request&, Response& res) {
           bool ready = true;
           nlohmann::json checks = nlohmann::json::object();
           for (const auto& [part, status] : store.CheckReady()) {
             ready = ready && status.ok();
             checks[part] = status ? "ok" : status.error().message;
           }
           const double uptime =
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
           nlohmann::json body = {{"status", ready ? "ok" : "unavailable"},
                                  {"version", FSVC_VERSION},
                                  {"uptime_seconds", uptime},
                                  {"checks", std::move(checks)},
                                  {"threads", config.threads},
                                  {"limits", LimitsJson(config.limits)},
                                  {"sizing", SizingJson(config)},
                                  {"server", ServerStatsJson(server.Stats())}};
           // Below the reserve uploads get 507, but reads and deletes still
           // work: the service stays ready and says why writes fail.
           if (auto space = store.Space()) {
             body["disk"] = {{"free_bytes", space->free_bytes},
                             {"reserve_bytes", space->reserve_bytes},
                             {"accepts_uploads", space->reserve_met()}};
           }
           SendJson(res, ready ? 200 : 503, body);
         }});
  // Generated on first use: every row is added before the server serves, so
  // the document never changes after that.
  struct OpenApi {
    std::once_flag once;
    std::string json;
  };
  r.Add({.method = "GET",
         .pattern = "/openapi.json",
         .access = Access::kOpen,
         .rate = RateClass::kExempt,
         .body = BodyMode::kNone,
         .summary = "This API, described as OpenAPI 3.1",
         .handler = [&server, doc = std::make_shared<OpenApi>()](const Request&, Response& res) {
           std::call_once(doc->once,
                          [&] { doc->json = server.routes().OpenApiJson(FSVC_VERSION); });
           res.SetBody(doc->json, "application/json");
         }});
}

}  // namespace fsvc
