#include "auth/access_check.h"

#include <memory>

#include "auth/api_keys.h"
#include "util/log.h"

namespace fsvc {
namespace {

// The key from "Authorization: Bearer KEY" (scheme case-insensitive), or "".
std::string_view BearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size() ||
      !EqualsIgnoreCase(header.substr(0, kScheme.size()), kScheme)) {
    return {};
  }
  header.remove_prefix(kScheme.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  return header;
}

Role NeededRole(Access access) {
  switch (access) {
    case Access::kOpen:
    case Access::kRead:
      return Role::kRead;
    case Access::kWrite:
      return Role::kWrite;
    case Access::kAdmin:
      return Role::kAdmin;
  }
  return Role::kAdmin;
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

Result<std::optional<AccessCheck>> MakeAccessCheck(const Config& config) {
  if (!config.auth) {
    WarnAuthOff(config);
    return std::optional<AccessCheck>();
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
  AccessCheck check = [keys](const Request& req, Access access,
                             std::string& key_id) -> std::optional<Error> {
    if (access == Access::kOpen) return std::nullopt;
    const std::string_view presented = BearerToken(req.Header("Authorization"));
    const auto held = presented.empty() ? std::nullopt : keys->Identify(presented);
    if (!held) {
      return Error{Errc::kUnauthorized, "a valid API key is required (Authorization: Bearer KEY)"};
    }
    const Role needed = NeededRole(access);
    if (!Grants(held->role, needed)) {
      return Error{Errc::kForbidden, "this API key has the " + std::string(RoleName(held->role)) +
                                         " role; this request needs " +
                                         std::string(RoleName(needed))};
    }
    key_id = held->id;
    return std::nullopt;
  };
  return std::optional<AccessCheck>(std::move(check));
}

}  // namespace fsvc
