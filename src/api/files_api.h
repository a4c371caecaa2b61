// Routes that store, fetch and delete files:
//   PUT  /files/{path}      raw streamed upload        201 new / 200 replaced
//   GET  /files/{path}      streamed download (HEAD, Range, ETag, 304)
//   DELETE /files/{path}, DELETE /delete?path=
//   POST /upload            multipart, all files or an error
//   POST /batch-upload      multipart, a result per file
#pragma once

#include "config/config.h"
#include "http/server.h"
#include "storage/storage.h"

namespace fsvc {

void RegisterFileRoutes(HttpServer& server, Storage& store, const Config& config);

}  // namespace fsvc
