// The JSON envelope every response uses.
//
// Errors: {"error": {"code": "<stable code>", "message": "<for humans>"}}
// with the HTTP status that matches the code. Success bodies are JSON
// objects that never carry an "error" key.
#pragma once

#include <nlohmann/json.hpp>

#include "http/message.h"
#include "util/error.h"

namespace fsvc {

int HttpStatusFor(Errc code);
// The JSON body for an error (also used for per-item errors in batches).
nlohmann::json ErrorJson(const Error& error);

// kUnavailable (503) also says Retry-After.
void SendError(Response& res, const Error& error);
void SendJson(Response& res, int status, const nlohmann::json& body);

}  // namespace fsvc
