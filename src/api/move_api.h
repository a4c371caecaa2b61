// POST /move {"from", "to", "replace"?}: renames a file or a folder (with
// everything below it) in one metadata transaction, copying no byte.
// 409 conflict when something is at "to", unless "replace": true; 404 when
// nothing is at "from"; 400 when one path contains the other. Signed links
// to the old paths stop working (a link signs its path).
#pragma once

#include "http/server.h"
#include "storage/storage.h"

namespace fsvc {

void RegisterMoveRoutes(HttpServer& server, Storage& store);

}  // namespace fsvc
