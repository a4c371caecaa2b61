// CORS for browser clients (off unless origins are configured).
//
// A request with an allowed Origin gets Access-Control-Allow-Origin (the
// origin itself, or "*" for a wildcard policy without credentials), Vary:
// Origin and Access-Control-Expose-Headers on every answer, the boundary's
// refusals included, so a page can read the error. A preflight (OPTIONS
// with Origin and Access-Control-Request-Method) is answered by the
// boundary from the route table: the methods are those the path is served
// by that the policy allows, and a method the path does not serve, or a
// request header outside the allowed list, gets no CORS headers (the
// browser then refuses). Credentials are never allowed with a wildcard
// origin: such a policy is refused at start.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "util/error.h"

namespace fsvc {

class CorsPolicy {
 public:
  struct Options {
    std::string origins;  // comma-separated origins, or "*"; empty: CORS off
    std::string methods;  // comma-separated
    std::string headers;  // request headers a page may send, comma-separated
    bool credentials = false;
    int max_age_sec = 600;
  };
  // kInvalidArgument for credentials with "*", or an origin that is not
  // scheme://host[:port].
  static Result<CorsPolicy> Make(const Options& options);
  CorsPolicy() = default;  // off

  bool enabled() const { return wildcard_ || !origins_.empty(); }
  // The headers for an answer to a request carrying `origin` ("" if none):
  // nothing when CORS is off or the origin is not allowed.
  HeaderList ResponseHeaders(std::string_view origin) const;
  // A preflight's headers, given the methods the route table serves on the
  // path ("GET, HEAD, DELETE"); nothing when it is not to be allowed.
  HeaderList PreflightHeaders(std::string_view origin, std::string_view method,
                              std::string_view request_headers,
                              std::string_view path_methods) const;

 private:
  bool OriginAllowed(std::string_view origin) const;

  bool wildcard_ = false;
  std::vector<std::string> origins_;
  std::vector<std::string> methods_;
  std::vector<std::string> headers_;
  std::string headers_text_;
  bool credentials_ = false;
  int max_age_sec_ = 600;
};

}  // namespace fsvc
