#include "http/route_table.h"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

namespace fsvc {
namespace {

// Matches `path` against `pattern`, appending what the placeholders took.
bool MatchPattern(std::string_view pattern, std::string_view path,
                  std::vector<std::string>& captures) {
  captures.clear();
  while (!pattern.empty()) {
    const size_t open = pattern.find('{');
    const std::string_view literal = pattern.substr(0, open);
    if (path.substr(0, literal.size()) != literal) return false;
    path.remove_prefix(literal.size());
    if (open == std::string_view::npos) return path.empty();
    const size_t close = pattern.find('}', open);
    const bool rest = pattern.substr(0, close).ends_with("...");
    pattern.remove_prefix(close + 1);
    const size_t end = rest ? path.size() : path.find('/');
    const std::string_view taken = path.substr(0, end);
    if (taken.empty()) return false;
    captures.emplace_back(taken);
    path.remove_prefix(taken.size());
  }
  return path.empty();
}

// "/files/{path...}" as OpenAPI writes it: "/files/{path}", and the names.
std::string OpenApiPath(std::string_view pattern, std::vector<std::string>& names) {
  std::string out;
  while (!pattern.empty()) {
    const size_t open = pattern.find('{');
    out.append(pattern.substr(0, open));
    if (open == std::string_view::npos) break;
    const size_t close = pattern.find('}', open);
    std::string name(pattern.substr(open + 1, close - open - 1));
    if (name.ends_with("...")) name.resize(name.size() - 3);
    out += '{' + name + '}';
    names.push_back(std::move(name));
    pattern.remove_prefix(close + 1);
  }
  return out;
}

std::string OperationId(const Route& r) {
  std::string id;
  for (char c : r.method) id += static_cast<char>(c | 0x20);
  for (char c : r.pattern) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      id += c;
    } else if (!id.empty() && id.back() != '_') {
      id += '_';
    }
  }
  while (!id.empty() && id.back() == '_') id.pop_back();
  return id;
}

}  // namespace

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kOpen:
      return "open";
    case Access::kRead:
      return "read";
    case Access::kWrite:
      return "write";
    case Access::kAdmin:
      return "admin";
  }
  return "admin";
}

void RouteTable::Add(Route route) {
  route.label_ = std::string(route.method) + " " + std::string(route.pattern);
  for (const Route& r : routes_) {
    if (r.method == route.method && r.pattern == route.pattern) {
      std::fprintf(stderr, "route %s registered twice\n", route.label().c_str());
      std::abort();
    }
  }
  routes_.push_back(std::move(route));
}

RouteTable::Match RouteTable::Find(std::string_view method, std::string_view path) const {
  Match m;
  const std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
  std::vector<std::string> captures;
  for (const Route& r : routes_) {
    if (!MatchPattern(r.pattern, path, captures)) continue;
    if (r.method == wanted) {
      m.route = &r;
      m.captures = std::move(captures);
      m.allowed.clear();
      return m;
    }
    if (m.allowed.find(r.method) == std::string::npos) {
      if (!m.allowed.empty()) m.allowed += ", ";
      m.allowed += r.method;
      if (r.method == "GET") m.allowed += ", HEAD";
    }
  }
  return m;
}

std::string RouteTable::OpenApiJson(std::string_view version) const {
  using nlohmann::json;
  const json error_ref = {{"$ref", "#/components/responses/Error"}};
  json paths = json::object();
  std::set<std::string> ids;
  for (const Route& r : routes_) {
    std::vector<std::string> names;
    const std::string path = OpenApiPath(r.pattern, names);
    json params = json::array();
    for (const std::string& n : names) {
      params.push_back(
          {{"name", n}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    for (const QueryParam& q : r.query) {
      json p = {{"name", q.name},
                {"in", "query"},
                {"required", q.required},
                {"schema", {{"type", "string"}}}};
      if (!q.description.empty()) p["description"] = q.description;
      params.push_back(std::move(p));
    }
    for (const HeaderParam& h : r.headers) {
      params.push_back({{"name", h.name},
                        {"in", "header"},
                        {"required", false},
                        {"description", h.description},
                        {"schema", {{"type", "string"}}}});
    }
    // "/debug/pprof" and "/debug/pprof/" differ only in what OperationId drops.
    std::string id = OperationId(r);
    for (int n = 2; !ids.insert(id).second; ++n) id = OperationId(r) + "_" + std::to_string(n);
    json op = {{"operationId", id},
               {"summary", r.summary},
               {"x-access", AccessName(r.access)},
               {"responses",
                {{"2XX", {{"description", "success; JSON unless the route serves a file"}}},
                 {"default", error_ref}}}};
    if (!params.empty()) op["parameters"] = std::move(params);
    op["security"] =
        r.access == Access::kOpen ? json::array() : json::array({json{{"apiKey", json::array()}}});
    if (r.body != BodyMode::kNone) {
      const std::string type = r.body_type.empty() ? "application/json" : std::string(r.body_type);
      json schema =
          type == "application/json"
              ? json{{"type", "object"}}
              : json{{"type", "string"}, {"contentMediaType", "application/octet-stream"}};
      op["requestBody"] = {{"required", r.body == BodyMode::kStreamed},
                           {"content", {{type, {{"schema", schema}}}}}};
    }
    std::string method;
    for (char c : r.method) method += static_cast<char>(c | 0x20);
    paths[path][method] = std::move(op);
  }
  json error_schema = {
      {"type", "object"},
      {"required", {"error"}},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"required", {"code", "message"}},
          {"properties", {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}};
  json doc = {
      {"openapi", "3.1.0"},
      {"info",
       {{"title", "file-service"},
        {"version", version},
        {"description", "File upload/download service. Every error is a JSON envelope."}}},
      {"paths", std::move(paths)},
      {"components",
       {{"securitySchemes", {{"apiKey", {{"type", "http"}, {"scheme", "bearer"}}}}},
        {"schemas", {{"Error", std::move(error_schema)}}},
        {"responses",
         {{"Error",
           {{"description", "an error: {\"error\": {\"code\", \"message\"}}"},
            {"content",
             {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}}}}}};
  return doc.dump(2);
}

}  // namespace fsvc
