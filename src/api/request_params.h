// Query parameters, read and validated the same way by every route.
#pragma once

#include <string>

#include "http/message.h"
#include "util/error.h"

namespace fsvc {

// A required normalised file path from ?name=.
Result<std::string> FilePathParam(const Request& req, const char* name = "path");
// An optional folder path from ?name= ("" = the root).
Result<std::string> FolderPathParam(const Request& req, const char* name = "path");
// An optional positive integer, capped at `max`; `fallback` when absent.
Result<int> IntParam(const Request& req, const char* name, int fallback, int max);

// Rejects a request whose body was left unread (or read only in part): the
// connection must close, or the body's bytes would be parsed as the next
// request.
void SendErrorAndClose(Response& res, const Error& error);

}  // namespace fsvc
