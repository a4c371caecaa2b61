#include "http/cors.h"

#include <algorithm>

#include "util/string_list.h"

namespace fsvc {
namespace {

// What a page may read of our answers beyond the CORS-safelisted headers.
constexpr std::string_view kExposed =
    "ETag, Last-Modified, Content-Range, Content-Disposition, Location, Repr-Digest, "
    "Content-Digest, Retry-After, X-Request-Id, RateLimit-Limit, RateLimit-Remaining, "
    "RateLimit-Reset";

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::any_of(list.begin(), list.end(),
                     [item](const std::string& s) { return EqualsIgnoreCase(s, item); });
}

std::string Join(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

Result<CorsPolicy> CorsPolicy::Make(const Options& o) {
  CorsPolicy p;
  for (std::string& origin : SplitList(o.origins)) {
    if (origin == "*") {
      p.wildcard_ = true;
      continue;
    }
    const size_t scheme = origin.find("://");
    if (scheme == std::string::npos || scheme == 0 || origin.size() == scheme + 3 ||
        origin.find('/', scheme + 3) != std::string::npos) {
      return Error{Errc::kInvalidArgument,
                   "CORS_ALLOWED_ORIGINS: '" + origin + "' is not scheme://host[:port]"};
    }
    p.origins_.push_back(std::move(origin));
  }
  if (p.wildcard_ && o.credentials) {
    return Error{Errc::kInvalidArgument,
                 "CORS_ALLOW_CREDENTIALS=true cannot go with CORS_ALLOWED_ORIGINS=*: a wildcard "
                 "would hand every site the callers' credentials"};
  }
  p.methods_ = SplitList(o.methods);
  p.headers_ = SplitList(o.headers);
  p.headers_text_ = Join(p.headers_);
  p.credentials_ = o.credentials;
  p.max_age_sec_ = o.max_age_sec;
  return p;
}

bool CorsPolicy::OriginAllowed(std::string_view origin) const {
  if (origin.empty()) return false;
  // Origins compare exactly (RFC 6454 serialisation), scheme and port included.
  return wildcard_ || std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

HeaderList CorsPolicy::ResponseHeaders(std::string_view origin) const {
  HeaderList out;
  if (!OriginAllowed(origin)) return out;
  // A wildcard without credentials may say "*"; otherwise the origin
  // itself, and caches must keep answers per origin.
  if (wildcard_ && !credentials_) {
    out.emplace_back("Access-Control-Allow-Origin", "*");
  } else {
    out.emplace_back("Access-Control-Allow-Origin", std::string(origin));
    out.emplace_back("Vary", "Origin");
  }
  if (credentials_) out.emplace_back("Access-Control-Allow-Credentials", "true");
  out.emplace_back("Access-Control-Expose-Headers", std::string(kExposed));
  return out;
}

HeaderList CorsPolicy::PreflightHeaders(std::string_view origin, std::string_view method,
                                        std::string_view request_headers,
                                        std::string_view path_methods) const {
  const std::vector<std::string> served = SplitList(path_methods);
  if (!OriginAllowed(origin) || !Contains(served, method) || !Contains(methods_, method)) {
    return {};
  }
  for (const std::string& h : SplitList(request_headers)) {
    if (!Contains(headers_, h)) return {};
  }
  HeaderList out = ResponseHeaders(origin);
  std::vector<std::string> allowed;
  for (const std::string& m : served) {
    if (Contains(methods_, m)) allowed.push_back(m);
  }
  out.emplace_back("Access-Control-Allow-Methods", Join(allowed));
  if (!headers_text_.empty()) out.emplace_back("Access-Control-Allow-Headers", headers_text_);
  out.emplace_back("Access-Control-Max-Age", std::to_string(max_age_sec_));
  return out;
}

}  // namespace fsvc
