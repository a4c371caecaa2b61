#include "api/json_views.h"

#include <ctime>

#include "storage/path.h"

namespace fsvc {

nlohmann::json FileJson(const FileInfo& info) {
  return {{"path", info.path},
          {"name", BaseName(info.path)},
          {"size", info.size},
          {"sha256", info.sha256},
          {"etag", info.ETag()},
          {"content_type", info.content_type},
          {"created_at", Rfc3339(info.created_ms)},
          {"modified_at", Rfc3339(info.modified_ms)}};
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
