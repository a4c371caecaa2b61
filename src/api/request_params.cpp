#include "api/request_params.h"

#include <algorithm>
#include <charconv>

#include "http/error_response.h"
#include "storage/path.h"

namespace fsvc {

Result<std::string> FilePathParam(const Request& req, const char* name) {
  if (!req.HasParam(name)) {
    return Error{Errc::kInvalidArgument, std::string("query parameter '") + name + "' is required"};
  }
  return NormalizeFilePath(req.Param(name));
}

Result<std::string> FolderPathParam(const Request& req, const char* name) {
  return NormalizeFolderPath(req.Param(name));
}

Result<int> IntParam(const Request& req, const char* name, int fallback, int max) {
  if (!req.HasParam(name)) return fallback;
  const std::string v = req.Param(name);
  int n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < 1) {
    return Error{Errc::kInvalidArgument,
                 std::string("query parameter '") + name + "' must be a positive whole number"};
  }
  return std::min(n, max);
}

void SendErrorAndClose(Response& res, const Error& error) {
  res.CloseConnection();
  SendError(res, error);
}

}  // namespace fsvc
