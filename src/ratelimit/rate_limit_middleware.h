// The rate limiter as HTTP middleware.
//
// Every request not exempt takes a token from its client's bucket: writes
// (PUT, POST, DELETE) from the write bucket, everything else from the read
// bucket. Allowed responses carry RateLimit-Limit / -Remaining / -Reset;
// refused ones are 429 with Retry-After too and the JSON error. /ping,
// /health and /metrics* are exempt when `exempt_ops` is set, so probes and
// scrapes never eat a client's budget.
#pragma once

#include <httplib.h>

#include "ratelimit/rate_limiter.h"

namespace fsvc {

struct RateLimitPolicy {
  bool exempt_ops = true;
  unsigned trusted_proxy_hops = 0;  // > 0: key by X-Forwarded-For
};

// Returns true (request answered with 429) when the client is over its limit.
bool ApplyRateLimit(RateLimiter& limiter, const RateLimitPolicy& policy,
                    const httplib::Request& req, httplib::Response& res);

}  // namespace fsvc
