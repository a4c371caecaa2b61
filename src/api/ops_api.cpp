#include "api/ops_api.h"

#include <chrono>

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

void RegisterOpsRoutes(HttpServer& server, FileStore& store, const Config& config) {
  const auto started = std::chrono::steady_clock::now();
  auto& r = server.routes();
  // The body is built once: /ping is the hottest route in every load test.
  static const std::string kPong = R"({"message":"pong"})";
  r.Get("/ping", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kPong, "application/json");
  });
  r.Get("/health", [&server, &store, &config, started](const httplib::Request&,
                                                        httplib::Response& res) {
    const Status database = store.CheckDatabase();
    const Status data_dir = store.CheckDataDir();
    const bool ready = database.ok() && data_dir.ok();
    const double uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    nlohmann::json body = {{"status", ready ? "ok" : "unavailable"},
                           {"version", FSVC_VERSION},
                           {"uptime_seconds", uptime},
                           {"checks",
                            {{"database", database ? "ok" : database.error().message},
                             {"data_dir", data_dir ? "ok" : data_dir.error().message}}},
                           {"threads", config.threads},
                           {"limits", LimitsJson(config.limits)},
                           {"sizing", SizingJson(config)},
                           {"server", ServerStatsJson(server.Stats())}};
    SendJson(res, ready ? 200 : 503, body);
  });
}

}  // namespace fsvc
