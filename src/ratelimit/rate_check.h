// The rate limiter as the boundary's rate check (http/boundary.h).
//
// Every request on a row that is not exempt takes a token from its client's
// bucket for the row's rate class (kRead or kWrite); which rows are exempt,
// and who the client is, the boundary decides from the route table and the
// connection. Allowed and refused answers both carry RateLimit-Limit /
// -Remaining / -Reset; refused ones also Retry-After and the reason, for the
// 429 the boundary sends.
#pragma once

#include "http/boundary.h"
#include "ratelimit/rate_limiter.h"

namespace fsvc {

// `limiter` must outlive the check.
RateCheck MakeRateCheck(RateLimiter& limiter);

}  // namespace fsvc
