// Routes over folders:
//   GET  /list?path=&pageSize=&cursor=   files in a folder, by name, paged
//   GET  /list-folders?path=&pageSize=&cursor=   sub-folders, paged
//   POST /create-folder?path=            201 created / 200 already there
//   DELETE /delete-folder?path=          the folder and everything below it
#pragma once

#include "config/config.h"
#include "http/server.h"
#include "storage/storage.h"

namespace fsvc {

void RegisterFolderRoutes(HttpServer& server, Storage& store, const Config& config);

}  // namespace fsvc
