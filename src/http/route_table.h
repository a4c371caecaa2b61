// Routes as data: one row per route, and everything the boundary decides
// about a request before its body is read comes from that row.
//
// A row names its method and pattern, the role it needs, the rate class it
// draws from, and its body mode:
//   kNone      no body: any Content-Length > 0 or Transfer-Encoding is
//              refused (413 body_not_allowed) before a byte of it is read;
//   kSmall     a JSON-sized body buffered whole (at most kSmallBodyLimit)
//              before the handler runs; no framing means an empty body;
//   kStreamed  the handler pulls the body (Request::ReadBody), bounded by
//              the upload limit; no framing is refused with 411.
// Patterns are literal except for `{name}` (one path segment) and
// `{name...}` (the rest of the path, slashes included); a GET row also
// serves HEAD. Nothing else in the service matches paths: auth roles, rate
// classes, body admission and the metrics' route labels all read the row
// the lookup returns, and /openapi.json is generated from the table.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace fsvc {

enum class Access { kOpen, kRead, kWrite, kAdmin };
enum class RateClass { kExempt, kRead, kWrite };
enum class BodyMode { kNone, kSmall, kStreamed };

// The most a kSmall body may hold: JSON requests only.
inline constexpr uint64_t kSmallBodyLimit = 1 << 20;

std::string_view AccessName(Access access);

struct QueryParam {
  std::string_view name;
  bool required = false;
  std::string_view description;
};

// A request header the route reads (If-Match, Content-Digest...).
struct HeaderParam {
  std::string_view name;
  std::string_view description;
};

using Handler = std::function<void(const Request&, Response&)>;

struct Route {
  std::string_view method;   // GET (serves HEAD too), PUT, POST or DELETE
  std::string_view pattern;  // "/files/{path...}"
  Access access = Access::kRead;
  RateClass rate = RateClass::kRead;
  BodyMode body = BodyMode::kNone;
  std::string_view summary;               // one line, for /openapi.json
  std::vector<QueryParam> query = {};     // documented query parameters
  std::string_view body_type = {};        // the body's media type, for /openapi.json
  std::vector<HeaderParam> headers = {};  // documented request headers
  Handler handler;
  // "GET /files/{path...}": the metrics label and the log's route; made once
  // by RouteTable::Add, since every request's metrics use it.
  const std::string& label() const { return label_; }
  std::string label_ = {};
};

class RouteTable {
 public:
  // Adds a row; a second row with the same method and pattern is a bug and
  // aborts at start-up.
  void Add(Route route);

  struct Match {
    const Route* route = nullptr;       // null: no row for this method
    std::vector<std::string> captures;  // the pattern's names, in order
    std::string allowed;                // when the path matched other methods: "GET, HEAD"
  };
  // The row serving `method path` (HEAD finds GET rows). With no row,
  // `allowed` lists the methods the path has rows for (empty: 404).
  Match Find(std::string_view method, std::string_view path) const;

  // OpenAPI 3.1 description of every row.
  std::string OpenApiJson(std::string_view version) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace fsvc
