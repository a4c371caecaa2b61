// Operational routes:
//   GET /ping    liveness: answers as long as the process serves HTTP
//   GET /health  readiness: database and data folder checked, the limits
//                the service sized itself by, uptime; 503 when not ready
//   GET /openapi.json  every route of the table, as OpenAPI 3.1
#pragma once

#include "config/config.h"
#include "http/server.h"
#include "storage/storage.h"

namespace fsvc {

void RegisterOpsRoutes(HttpServer& server, Storage& store, const Config& config);

}  // namespace fsvc
