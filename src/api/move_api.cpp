#include "api/move_api.h"

#include <nlohmann/json.hpp>

#include "http/error_response.h"
#include "storage/path.h"

namespace fsvc {
namespace {

struct MoveRequest {
  std::string from;
  std::string to;
  bool replace = false;
};

Result<MoveRequest> ParseMoveRequest(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Error{Errc::kInvalidArgument, "expected a JSON object {\"from\", \"to\", \"replace\"}"};
  }
  MoveRequest m;
  for (const auto& [key, value] : j.items()) {
    if (key == "from" || key == "to") {
      if (!value.is_string()) return Error{Errc::kInvalidArgument, "'" + key + "' is a string"};
      auto path = NormalizeFolderPath(value.get<std::string>());
      if (!path) return path.error();
      (key == "from" ? m.from : m.to) = std::move(*path);
    } else if (key == "replace") {
      if (!value.is_boolean()) return Error{Errc::kInvalidArgument, "'replace' is true or false"};
      m.replace = value.get<bool>();
    } else {
      return Error{Errc::kInvalidArgument, "unknown field '" + key + "'"};
    }
  }
  if (m.from.empty() || m.to.empty()) {
    return Error{Errc::kInvalidArgument, "'from' and 'to' name a file or folder (not the root)"};
  }
  return m;
}

}  // namespace

void RegisterMoveRoutes(HttpServer& server, Storage& store) {
  server.routes().Add(
      {.method = "POST",
       .pattern = "/move",
       .access = Access::kWrite,
       .rate = RateClass::kWrite,
       .body = BodyMode::kSmall,
       .summary = "Move or rename a file or a folder: {\"from\", \"to\", \"replace\": false} "
                  "(409 when 'to' exists and replace is false)",
       .body_type = "application/json",
       .handler = [&store](const Request& req, Response& res) {
         auto m = ParseMoveRequest(req.body);
         if (!m) return SendError(res, m.error());
         auto moved = store.Move(m->from, m->to, m->replace);
         if (!moved) return SendError(res, moved.error());
         SendJson(res, 200,
                  {{"from", m->from},
                   {"to", m->to},
                   {"type", moved->folder ? "folder" : "file"},
                   {"files", moved->files},
                   {"replaced", moved->replaced}});
       }});
}

}  // namespace fsvc
