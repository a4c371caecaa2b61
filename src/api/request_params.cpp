#include "api/request_params.h"

#include <charconv>

#include "http/error_response.h"
#include "storage/path.h"

namespace fsvc {

Result<std::string> FilePathParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) {
    return Error{Errc::kInvalidArgument, std::string("query parameter '") + name + "' is required"};
  }
  return NormalizeFilePath(req.get_param_value(name));
}

Result<std::string> FolderPathParam(const httplib::Request& req, const char* name) {
  return NormalizeFolderPath(req.get_param_value(name));
}

Result<int> IntParam(const httplib::Request& req, const char* name, int fallback, int max) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  int n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < 1) {
    return Error{Errc::kInvalidArgument,
                 std::string("query parameter '") + name + "' must be a positive whole number"};
  }
  return std::min(n, max);
}

void SendErrorAndClose(httplib::Response& res, const Error& error) {
  res.set_header("Connection", "close");
  SendError(res, error);
}

}  // namespace fsvc
