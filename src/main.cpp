// file-service: wiring only. config -> storage -> routes -> HTTP server.
#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "api/debug_api.h"
#include "api/files_api.h"
#include "api/folders_api.h"
#include "api/links_api.h"
#include "api/metrics_api.h"
#include "api/move_api.h"
#include "api/ops_api.h"
#include "auth/access_check.h"
#include "config/config.h"
#include "http/server.h"
#include "links/link_service.h"
#include "observability/allocator_tuning.h"
#include "platform/cgroup.h"
#include "platform/fd_limit.h"
#include "platform/signals.h"
#include "ratelimit/rate_check.h"
#include "ratelimit/rate_limiter.h"
#include "storage/file_store.h"
#include "storage/s3/s3_storage.h"
#include "util/log.h"

using namespace fsvc;

int main(int argc, char** argv) {
  InstallProcessSignals();
  // Every connection is a descriptor; the usual soft limit of 1024 would cap them.
  const auto fd_limit = RaiseFdLimit();
  const MachineLimits limits = ReadMachineLimits();
  auto parsed =
      ParseConfig(std::vector<std::string>(argv + 1, argv + argc), ProcessEnvironment(), limits);
  if (!parsed) {
    std::fprintf(stderr, "file-service: %s\n", parsed.error().message.c_str());
    return 2;
  }
  const Config& config = parsed->config;
  if (parsed->help_requested) {
    std::fputs(ConfigHelp(config).c_str(), stdout);
    return 0;
  }
  SetLogLevel(config.log_level);
  if (auto st = ApplyAllocatorDecay(config.alloc_decay_ms); !st) {
    LogWarn("allocator decay not set: " + st.error().message);
  }
  LogInfo("limits: cgroup " + limits.cgroup_version + ", " +
          std::to_string(limits.EffectiveCpus()) + " CPUs, " +
          std::to_string(limits.EffectiveMemory() >> 20) + " MiB; " +
          std::to_string(config.threads) + " threads; fd limit " +
          (fd_limit ? std::to_string(*fd_limit) : fd_limit.error().message));

  std::unique_ptr<Storage> store;
  const FileStore* local = nullptr;
  if (config.s3_storage) {
    S3StorageOptions options;
    options.s3.endpoint = config.s3_endpoint;
    options.s3.bucket = config.s3_bucket;
    options.s3.region = config.s3_region;
    options.s3.access_key = config.s3_access_key;
    options.s3.secret_key = config.s3_secret_key;
    options.s3.path_style = config.s3_path_style;
    options.part_bytes = config.s3_part_bytes;
    options.stale_after = std::chrono::seconds(config.s3_stale_upload_sec);
    auto opened = S3Storage::Open(options);
    if (!opened) {
      LogError("cannot open storage in S3 bucket " + config.s3_bucket + ": " +
               opened.error().message);
      return 1;
    }
    if (auto swept = (*opened)->SweepStale(); !swept) {
      LogWarn("stale uploads not swept: " + swept.error().message);
    } else if (*swept > 0) {
      LogWarn("removed " + std::to_string(*swept) + " stale uploads a replica left behind");
    }
    store = std::move(*opened);
  } else {
    auto opened = FileStore::Open({.data_dir = config.data_dir,
                                   .read_connections = 4,
                                   .disk_reserve_bytes = config.disk_reserve_bytes,
                                   .sync = config.durable});
    if (!opened) {
      LogError("cannot open storage in " + config.data_dir + ": " + opened.error().message);
      return 1;
    }
    const StoreStats& rec = (*opened)->recovery();
    if (rec.removed_temp_files + rec.removed_orphan_blobs + rec.removed_dangling_rows +
            rec.reclaimed_segment_ranges >
        0) {
      LogWarn("recovered from an unclean stop: removed " + std::to_string(rec.removed_temp_files) +
              " temp files, " + std::to_string(rec.removed_orphan_blobs) + " orphan blobs, " +
              std::to_string(rec.reclaimed_segment_ranges) + " unnamed segment ranges, " +
              std::to_string(rec.removed_dangling_rows) + " rows without content");
    }
    local = opened->get();
    store = std::move(*opened);
  }

  // On s3 the configuration requires LINK_SECRET, so no file is made.
  auto secret = LoadOrCreateSecret(config.data_dir, config.link_secret);
  auto signer = secret ? LinkSigner::Create(*secret) : Result<LinkSigner>(secret.error());
  if (!signer) {
    LogError("link secret: " + signer.error().message);
    return 1;
  }
  LinkService links(*store, std::move(*signer),
                    {static_cast<size_t>(config.url_cache_max_entries),
                     static_cast<size_t>(config.url_cache_max_bytes), 16},
                    std::chrono::seconds(config.link_ttl_sec));
  store->AddChangeListener([&links](std::string_view path) { links.Invalidate(path); });

  RateLimiterConfig limits_config;
  limits_config.buckets[static_cast<size_t>(RouteClass::kRead)] = {
      static_cast<double>(config.rate_read_per_sec), static_cast<double>(config.rate_read_burst)};
  limits_config.buckets[static_cast<size_t>(RouteClass::kWrite)] = {
      static_cast<double>(config.rate_write_per_sec), static_cast<double>(config.rate_write_burst)};
  limits_config.max_clients = static_cast<size_t>(config.rate_limit_max_clients);
  RateLimiter limiter(limits_config);

  HttpServer server(config);
  RequestMetrics metrics;
  RegisterMetricsRoutes(server, metrics, config, local, links, limiter);
  auto access = MakeAccessCheck(config);
  if (!access) {
    LogError(access.error().message);
    return 2;
  }
  if (*access) server.SetAccessCheck(std::move(**access));
  if (config.disable_rate_limiter) {
    LogWarn("rate limiter disabled (DISABLE_RATE_LIMITER)");
  } else {
    server.SetRateCheck(MakeRateCheck(limiter));
  }
  RegisterOpsRoutes(server, *store, config);
  RegisterFileRoutes(server, *store, config);
  RegisterFolderRoutes(server, *store, config);
  RegisterMoveRoutes(server, *store);
  RegisterLinkRoutes(server, links, config);
  std::atomic<bool> stopping{false};  // ends a running CPU profile at shutdown
  RegisterDebugRoutes(server, config, stopping);

  auto port = server.Bind();
  if (!port) {
    LogError(port.error().message);
    return 1;
  }
  WatchShutdownSignals(
      [&server, &stopping] {
        stopping = true;
        server.Stop();
      },
      config.shutdown_grace_sec,
      // Requests started and not finished, and those waiting for a thread.
      [&metrics, &server] {
        return metrics.Take().active + static_cast<int64_t>(server.Stats().queue_depth);
      });
  std::printf("file-service listening on %s:%d\n", config.host.c_str(), *port);
  std::fflush(stdout);

  const Status served = server.Run();
  ShutdownDrained();
  LogInfo("stopped");
  return served ? 0 : 1;
}
