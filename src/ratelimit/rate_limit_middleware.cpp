#include "ratelimit/rate_limit_middleware.h"

#include <string>

#include "http/error_response.h"

namespace fsvc {
namespace {

bool IsOpsRoute(const std::string& path) {
  return path == "/ping" || path == "/health" || path.rfind("/metrics", 0) == 0;
}

}  // namespace

bool ApplyRateLimit(RateLimiter& limiter, const RateLimitPolicy& policy,
                    const httplib::Request& req, httplib::Response& res) {
  if (policy.exempt_ops && IsOpsRoute(req.path)) return false;
  const bool write = req.method == "PUT" || req.method == "POST" || req.method == "DELETE";
  const std::string forwarded =
      policy.trusted_proxy_hops > 0 ? req.get_header_value("X-Forwarded-For") : std::string();
  const Decision d = limiter.Allow(ClientKey(req.remote_addr, forwarded, policy.trusted_proxy_hops),
                                   write ? RouteClass::kWrite : RouteClass::kRead);
  res.set_header("RateLimit-Limit", std::to_string(d.limit));
  res.set_header("RateLimit-Remaining", std::to_string(d.remaining));
  res.set_header("RateLimit-Reset", std::to_string(d.reset_seconds));
  if (d.allowed) return false;
  res.set_header("Retry-After", std::to_string(d.retry_after_seconds));
  // The body of a refused upload is not read: the connection must not be reused.
  if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) {
    res.set_header("Connection", "close");
  }
  SendError(res, {Errc::kRateLimited, "too many requests; retry after " +
                                          std::to_string(d.retry_after_seconds) + " s"});
  return true;
}

}  // namespace fsvc
