#include "auth/access_policy.h"

namespace fsvc {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// `path` is `name` or lies below it.
bool Under(std::string_view path, std::string_view name) {
  return path == name || (StartsWith(path, name) && path[name.size()] == '/');
}

}  // namespace

std::optional<Role> RequiredRole(std::string_view method, std::string_view path) {
  if (Under(path, "/debug") || path == "/metrics/reset") return Role::kAdmin;
  const bool reads = method == "GET" || method == "HEAD";
  // A dot segment never names an open route; such a path is not let through
  // in case some route's pattern would still match it.
  const bool plain = path.find("/.") == std::string_view::npos;
  if (reads && plain &&
      (path == "/ping" || path == "/health" || Under(path, "/metrics") ||
       StartsWith(path, "/d/"))) {
    return std::nullopt;
  }
  if (reads || (method == "POST" && path == "/batch-download")) return Role::kRead;
  return Role::kWrite;
}

}  // namespace fsvc
