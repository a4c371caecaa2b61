// How storage objects look in JSON responses: one place, so every route
// shows a file the same way.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "storage/storage.h"
#include "util/time_text.h"

namespace fsvc {

// {"path","name","size","sha256","etag","content_type","created_at","modified_at"}
nlohmann::json FileJson(const FileInfo& info);
// RFC 9110 IMF-fixdate for Last-Modified: "Sun, 22 Nov 2026 19:00:00 GMT".
std::string HttpDate(int64_t unix_ms);

}  // namespace fsvc
