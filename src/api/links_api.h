// Signed download links:
//   GET  /download?path=      {"url": "/d/<token>", "expires_at": ...}
//   GET  /d/{token}           the file, streamed like GET /files/{path};
//                             403 forged/malformed, 410 expired, 404 deleted
//   POST /batch-download      {"paths": [...]} -> a link or an error per path
#pragma once

#include "config/config.h"
#include "http/server.h"
#include "links/link_service.h"

namespace fsvc {

void RegisterLinkRoutes(HttpServer& server, LinkService& links, const Config& config);

}  // namespace fsvc
