// Which role a request needs, decided from its method and path alone.
//
// Contract: the decision never depends on whether the path exists, so a
// client without the role learns nothing about the stored files. Open
// routes (no key): GET/HEAD of /ping, /health, /metrics and /metrics/*
// (except /metrics/reset), and GET/HEAD of /d/{token} (the signed token is
// the credential); a path with a dot segment is never open. Admin: /debug, /debug/* and
// /metrics/reset, whatever the method. Read: every other GET/HEAD, and POST /batch-download (it
// only mints links). Write: every other method on every other path.
#pragma once

#include <optional>
#include <string_view>

#include "auth/api_keys.h"

namespace fsvc {

// The role `method path` needs; nothing for an open route.
std::optional<Role> RequiredRole(std::string_view method, std::string_view path);

}  // namespace fsvc
