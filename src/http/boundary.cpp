#include "http/boundary.h"

#include "http/error_response.h"
#include "ratelimit/rate_limiter.h"

namespace fsvc {

ClientBodies::Permit::~Permit() {
  if (!owner_) return;
  MutexLock lock(owner_->mu_);
  auto it = owner_->open_.find(client_);
  if (it != owner_->open_.end() && --it->second == 0) owner_->open_.erase(it);
}

std::optional<ClientBodies::Permit> ClientBodies::TryAcquire(std::string_view client) {
  Permit p;
  if (max_ == 0) return p;
  MutexLock lock(mu_);
  auto it = open_.find(client);
  if (it == open_.end()) it = open_.emplace(std::string(client), 0).first;
  if (it->second >= max_) return std::nullopt;
  ++it->second;
  p.owner_ = this;
  p.client_ = std::string(client);
  return p;
}

Boundary::Boundary(const RouteTable& routes, BoundaryOptions options, UploadGate& gate)
    : routes_(routes),
      options_(options),
      gate_(gate),
      client_bodies_(options.max_bodies_per_client) {}

Boundary::Decision Boundary::Admit(std::string_view bytes, const std::string& remote_addr) {
  Decision d;
  Refused& r = d.refused;
  r.label = "unrouted";
  // A refusal closes the connection when a body may follow the header: its
  // bytes must never be read as the next request.
  HeaderList cors;  // what the request's Origin earns, on every answer
  auto fail = [&](const Error& error, bool close) -> Decision {
    r.close = r.close || close;
    SendError(r.response, error);
    for (auto& [k, v] : cors) r.response.SetHeader(k, std::move(v));
    return std::move(d);
  };

  auto head = ParseRequestHead(bytes, options_.max_header_bytes);
  if (!head) return fail(head.error(), true);
  r.head = head->method == "HEAD";
  r.head_size = head->size;
  r.method = head->method;
  r.path = head->path;
  // An early answer ends the connection the client asked to end, as the
  // library's would: "Connection: close", or HTTP/1.0 without keep-alive.
  {
    std::string_view connection;
    for (const auto& [k, v] : head->headers) {
      if (EqualsIgnoreCase(k, "Connection")) connection = v;
    }
    r.close = EqualsIgnoreCase(connection, "close") ||
              (head->http10 && !EqualsIgnoreCase(connection, "keep-alive"));
  }
  const std::string_view origin = FindHeader(head->headers, "Origin");
  if (cors_.enabled()) cors = cors_.ResponseHeaders(origin);
  auto framing = ParseFraming(*head);
  if (!framing) return fail(framing.error(), true);
  const bool body = framing->HasBody();

  if (head->method == "OPTIONS") {
    const RouteTable::Match m = routes_.Find("OPTIONS", head->path);
    if (head->target != "*" && m.allowed.empty()) {
      return fail({Errc::kNotFound, "no route for " + head->path}, body);
    }
    r.close = r.close || body;
    r.response.status = 204;
    r.response.SetHeader("Allow", head->target == "*" ? "GET, HEAD, PUT, POST, DELETE, OPTIONS"
                                                      : m.allowed + ", OPTIONS");
    const std::string_view preflight = FindHeader(head->headers, "Access-Control-Request-Method");
    if (cors_.enabled() && !preflight.empty()) {
      cors = cors_.PreflightHeaders(origin, preflight,
                                    FindHeader(head->headers, "Access-Control-Request-Headers"),
                                    m.allowed);
    }
    for (auto& [k, v] : cors) r.response.SetHeader(k, std::move(v));
    return d;
  }
  RouteTable::Match match = routes_.Find(head->method, head->path);
  if (!match.route) {
    if (match.allowed.empty()) return fail({Errc::kNotFound, "no route for " + head->path}, body);
    r.response.SetHeader("Allow", match.allowed + ", OPTIONS");
    return fail({Errc::kMethodNotAllowed, head->method + " is not served on " + head->path +
                                              " (allowed: " + match.allowed + ")"},
                body);
  }
  const Route& route = *match.route;
  r.label = route.label();

  // The body, against what the route declares.
  const std::string_view coding = FindHeader(head->headers, "Content-Encoding");
  if (body && !coding.empty() && !EqualsIgnoreCase(coding, "identity")) {
    return fail({Errc::kUnsupportedEncoding,
                 "request bodies with Content-Encoding are not accepted (send them as is)"},
                true);
  }
  // A multipart body is its files plus their framing and form fields.
  const bool form = route.body_type.starts_with("multipart/");
  const uint64_t max_body = route.body == BodyMode::kStreamed
                                ? options_.max_upload_bytes + (form ? kSmallBodyLimit : 0)
                            : route.body == BodyMode::kSmall ? kSmallBodyLimit
                                                             : 0;
  if (body && route.body == BodyMode::kNone) {
    return fail({Errc::kBodyNotAllowed, r.label + " takes no request body"}, true);
  }
  if (framing->kind == BodyFraming::kLength && framing->length > max_body) {
    return fail({Errc::kPayloadTooLarge, "request body of " + std::to_string(framing->length) +
                                             " bytes exceeds the limit of " +
                                             std::to_string(max_body) + " bytes"},
                true);
  }
  if (route.body == BodyMode::kStreamed && framing->kind == BodyFraming::kNone) {
    return fail(
        {Errc::kLengthRequired, "an upload needs Content-Length or Transfer-Encoding: chunked"},
        false);
  }
  bool expect_continue = false;
  for (const auto& [k, v] : head->headers) {
    if (!EqualsIgnoreCase(k, "Expect")) continue;
    if (!EqualsIgnoreCase(v, "100-continue")) {
      return fail({Errc::kExpectationFailed, "only Expect: 100-continue is understood"}, body);
    }
    expect_continue = body && !head->http10;
  }

  Admitted a;
  Request& req = a.request;
  req.method = std::move(head->method);
  req.target = std::move(head->target);
  req.path = std::move(head->path);
  req.headers = std::move(head->headers);
  req.params = std::move(head->params);
  req.captures = std::move(match.captures);
  req.body_length = framing->kind == BodyFraming::kLength ? framing->length : 0;
  req.remote_addr = remote_addr;
  req.client = std::string(
      ClientKey(remote_addr, req.Header("X-Forwarded-For"), options_.trusted_proxy_hops));

  // The limiter before the key check, so a flood of bad keys is throttled too.
  if (route.rate != RateClass::kExempt && rate_) {
    RateVerdict v = rate_(req.client, route.rate);
    if (!v.allowed) {
      for (auto& [k, val] : v.headers) r.response.SetHeader(k, std::move(val));
      return fail({Errc::kRateLimited, v.message}, body);
    }
    a.response_headers = std::move(v.headers);
  }
  a.response_headers.insert(a.response_headers.end(), cors.begin(), cors.end());
  if (route.access != Access::kOpen && access_) {
    if (auto denied = access_(req, route.access, req.key_id)) {
      if (denied->code == Errc::kUnauthorized) {
        r.response.SetHeader("WWW-Authenticate", R"(Bearer realm="file-service")");
      }
      return fail(*denied, body);
    }
  }
  if (body) {
    a.client_slot = client_bodies_.TryAcquire(req.client);
    if (!a.client_slot) {
      r.response.SetHeader("Retry-After", "1");
      return fail({Errc::kRateLimited, "this client already sends " +
                                           std::to_string(options_.max_bodies_per_client) +
                                           " request bodies at once"},
                  true);
    }
    a.slot = gate_.TryAcquire(framing->kind == BodyFraming::kLength ? framing->length : 0);
    if (!a.slot) {
      r.response.SetHeader("Retry-After", "1");
      return fail({Errc::kUnavailable, "too many request bodies in progress, retry shortly"}, true);
    }
  }
  a.route = &route;
  a.framing = *framing;
  a.head_size = head->size;
  a.expect_continue = expect_continue;
  a.body_limits = options_.body;
  a.body_limits.max_bytes = max_body;
  d.admitted.emplace(std::move(a));
  return d;
}

}  // namespace fsvc
