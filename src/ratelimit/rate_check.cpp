#include "ratelimit/rate_check.h"

#include <string>

namespace fsvc {

RateCheck MakeRateCheck(RateLimiter& limiter) {
  return [&limiter](std::string_view client, RateClass rate) {
    RateVerdict verdict;
    if (rate == RateClass::kExempt) return verdict;
    const Decision d =
        limiter.Allow(client, rate == RateClass::kWrite ? RouteClass::kWrite : RouteClass::kRead);
    verdict.allowed = d.allowed;
    verdict.headers = {{"RateLimit-Limit", std::to_string(d.limit)},
                       {"RateLimit-Remaining", std::to_string(d.remaining)},
                       {"RateLimit-Reset", std::to_string(d.reset_seconds)}};
    if (!d.allowed) {
      verdict.headers.emplace_back("Retry-After", std::to_string(d.retry_after_seconds));
      verdict.message =
          "too many requests; retry after " + std::to_string(d.retry_after_seconds) + " s";
    }
    return verdict;
  };
}

}  // namespace fsvc
