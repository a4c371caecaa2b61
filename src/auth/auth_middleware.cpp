#include "auth/auth_middleware.h"

#include <memory>

#include "auth/access_policy.h"
#include "auth/api_keys.h"
#include "http/error_response.h"
#include "util/log.h"

namespace fsvc {
namespace {

// The key from "Authorization: Bearer KEY" (scheme case-insensitive), or "".
std::string_view BearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if ((header[i] | 0x20) != kScheme[i]) return {};
  }
  header.remove_prefix(kScheme.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  return header;
}

// A refused request's body is never read: left in the stream it would be
// parsed as the next request, so the connection closes.
bool HasBody(const httplib::Request& req) {
  return req.get_header_value<uint64_t>("Content-Length") > 0 ||
         req.has_header("Transfer-Encoding");
}

void Refuse(const httplib::Request& req, httplib::Response& res, const Error& error) {
  if (error.code == Errc::kUnauthorized) {
    res.set_header("WWW-Authenticate", R"(Bearer realm="file-service")");
  }
  if (HasBody(req)) res.set_header("Connection", "close");
  SendError(res, error);
}

void WarnAuthOff(const Config& config) {
  const std::string line(72, '!');
  LogWarn(line);
  LogWarn("AUTH=off: access control is DISABLED. Anyone who can reach " + config.host + ":" +
          std::to_string(config.port) +
          " may read, overwrite and delete every file and use /debug.");
  LogWarn("Set AUTH=on with API_KEYS_FILE or API_KEYS before exposing this service.");
  LogWarn(line);
}

}  // namespace

Status InstallAccessControl(HttpServer& server, const Config& config) {
  if (!config.auth) {
    WarnAuthOff(config);
    return OkStatus();
  }
  auto loaded = LoadApiKeys(config.api_keys_file, config.api_keys);
  if (!loaded) return loaded.error();
  if (loaded->size() == 0) {
    return Error{Errc::kInvalidArgument,
                 "auth is on but no API key is configured: set API_KEYS_FILE or API_KEYS "
                 "(see --help), or AUTH=off to serve without access control"};
  }
  LogInfo("auth: " + std::to_string(loaded->size()) + " API keys loaded");
  auto keys = std::make_shared<const ApiKeys>(std::move(*loaded));
  server.AddMiddleware([keys](const httplib::Request& req, httplib::Response& res) {
    const auto needed = RequiredRole(req.method, req.path);
    if (!needed) return false;
    // BearerToken views into the header, so the header must outlive it.
    const std::string authorization = req.get_header_value("Authorization");
    const std::string_view presented = BearerToken(authorization);
    const auto held = presented.empty() ? std::nullopt : keys->Find(presented);
    if (!held) {
      Refuse(req, res,
             {Errc::kUnauthorized, "a valid API key is required (Authorization: Bearer KEY)"});
      return true;
    }
    if (!Grants(*held, *needed)) {
      Refuse(req, res,
             {Errc::kForbidden, "this API key has the " + std::string(RoleName(*held)) +
                                    " role; this request needs " + std::string(RoleName(*needed))});
      return true;
    }
    return false;
  });
  return OkStatus();
}

}  // namespace fsvc
