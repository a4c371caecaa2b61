// Access control for every route: `Authorization: Bearer KEY` checked against
// the configured API keys before any handler (and so any lookup) runs.
//
// Contract: with auth on, a request to a non-open route (auth/access_policy.h)
// without a known key gets 401 with `WWW-Authenticate: Bearer` and the JSON
// error; a known key whose role is too low gets 403. Both answers are the
// same whatever the path, and a request whose body was not read closes the
// connection. With auth off (only by explicit AUTH=off) every route is open
// and a warning says so loudly at start.
#pragma once

#include "config/config.h"
#include "http/server.h"
#include "util/error.h"

namespace fsvc {

// Loads the keys and registers the middleware. kInvalidArgument when auth is
// on and no key is configured, or a keys source is unreadable or malformed.
Status InstallAccessControl(HttpServer& server, const Config& config);

}  // namespace fsvc
