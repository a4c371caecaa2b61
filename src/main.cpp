// file-service: wiring only. config -> storage -> routes -> HTTP server.
#include <cstdio>
#include <string>
#include <vector>

#include "api/files_api.h"
#include "api/folders_api.h"
#include "api/ops_api.h"
#include "auth/auth_middleware.h"
#include "config/config.h"
#include "http/request_framing.h"
#include "http/server.h"
#include "platform/cgroup.h"
#include "platform/fd_limit.h"
#include "platform/signals.h"
#include "storage/file_store.h"
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
  LogInfo("limits: cgroup " + limits.cgroup_version + ", " +
          std::to_string(limits.EffectiveCpus()) + " CPUs, " +
          std::to_string(limits.EffectiveMemory() >> 20) + " MiB; " +
          std::to_string(config.threads) + " threads; fd limit " +
          (fd_limit ? std::to_string(*fd_limit) : fd_limit.error().message));

  auto store = FileStore::Open({config.data_dir, 4});
  if (!store) {
    LogError("cannot open storage in " + config.data_dir + ": " + store.error().message);
    return 1;
  }
  const StoreStats& rec = (*store)->recovery();
  if (rec.removed_temp_files + rec.removed_orphan_blobs + rec.removed_dangling_rows > 0) {
    LogWarn("recovered from an unclean stop: removed " + std::to_string(rec.removed_temp_files) +
            " temp files, " + std::to_string(rec.removed_orphan_blobs) + " orphan blobs, " +
            std::to_string(rec.removed_dangling_rows) + " rows without content");
  }

  HttpServer server(config);
  server.AddMiddleware(RejectAmbiguousFraming);
  if (auto auth = InstallAccessControl(server, config); !auth) {
    LogError(auth.error().message);
    return 2;
  }
  RegisterOpsRoutes(server, **store, config);
  RegisterFileRoutes(server, **store, config);
  RegisterFolderRoutes(server, **store, config);

  auto port = server.Bind();
  if (!port) {
    LogError(port.error().message);
    return 1;
  }
  WatchShutdownSignals([&server] { server.Stop(); }, config.shutdown_grace_sec);
  std::printf("file-service listening on %s:%d\n", config.host.c_str(), *port);
  std::fflush(stdout);

  const Status served = server.Run();
  LogInfo("stopped");
  return served ? 0 : 1;
}
