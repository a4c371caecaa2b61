// Access control for every route: `Authorization: Bearer KEY` checked against
// the configured API keys by the boundary (http/boundary.h), before any
// handler (and so any lookup) runs.
//
// Contract: the role a request needs comes from its route-table row, never
// from whether the path exists. With auth on, a request to a row that is not
// open without a known key is refused kUnauthorized (the boundary adds
// `WWW-Authenticate: Bearer`); a known key whose role is too low, kForbidden.
// Both answers are the same whatever the path. An accepted key is named by
// its id (auth/api_keys.h), never by the key. With auth off (only by explicit
// AUTH=off) every route is open and a warning says so loudly at start.
#pragma once

#include <optional>

#include "config/config.h"
#include "http/boundary.h"
#include "util/error.h"

namespace fsvc {

// Loads the keys and returns the check; nothing when auth is off.
// kInvalidArgument when auth is on and no key is configured, or a keys
// source is unreadable or malformed.
Result<std::optional<AccessCheck>> MakeAccessCheck(const Config& config);

}  // namespace fsvc
