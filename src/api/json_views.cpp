#include "api/json_views.h"

#include <ctime>

#include "storage/path.h"

namespace fsvc {

nlohmann::json FileJson(const FileInfo& info) {
  nlohmann::json out = {{"path", info.path},
                        {"name", BaseName(info.path)},
                        {"size", info.size},
                        {"created_at", Rfc3339(info.created_ms)},
                        {"modified_at", Rfc3339(info.modified_ms)}};
  // An s3 listing carries neither (docs/s3.md): absent, never empty.
  if (!info.sha256.empty()) {
    out["sha256"] = info.sha256;
    out["etag"] = info.ETag();
  }
  if (!info.content_type.empty()) out["content_type"] = info.content_type;
  return out;
}

std::string HttpDate(int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace fsvc
