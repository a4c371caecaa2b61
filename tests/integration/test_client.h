// Small helpers for talking to the server in integration tests.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

namespace fsvc::testing {

// Parses a JSON body; a parse failure yields a json string saying so, which
// makes the assertion that reads it fail with the body shown.
inline nlohmann::json Json(const httplib::Result& r) {
  if (!r) return "no response: " + httplib::to_string(r.error());
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return "not JSON: " + r->body;
  return j;
}

inline std::string ErrorCode(const httplib::Result& r) {
  const auto j = Json(r);
  if (!j.is_object() || !j.contains("error")) return "<no error: " + (r ? r->body : "") + ">";
  return j["error"]["code"].get<std::string>();
}

// The "/d/<token>" URL of a signed link to `path`, or "<body>" on failure.
inline std::string LinkUrl(httplib::Client& c, const std::string& path) {
  auto res = c.Get("/download?path=" + path);
  if (!res || res->status != 200) return "<" + (res ? res->body : std::string("no answer")) + ">";
  return Json(res)["url"].get<std::string>();
}

std::string Sha256Hex(const std::string& data);

// The value of an unlabelled sample `name` in a Prometheus text exposition,
// or -1 when it is absent.
double MetricValue(const std::string& exposition, const std::string& name);

}  // namespace fsvc::testing
