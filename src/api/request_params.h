// Query parameters, read and validated the same way by every route.
#pragma once

#include <httplib.h>

#include <string>

#include "util/error.h"

namespace fsvc {

// A required normalised file path from ?name=.
Result<std::string> FilePathParam(const httplib::Request& req, const char* name = "path");
// An optional folder path from ?name= ("" = the root).
Result<std::string> FolderPathParam(const httplib::Request& req, const char* name = "path");
// An optional positive integer, capped at `max`; `fallback` when absent.
Result<int> IntParam(const httplib::Request& req, const char* name, int fallback, int max);

// Rejects a request whose body was left unread: the connection must close,
// or the body's bytes would be parsed as the next request.
void SendErrorAndClose(httplib::Response& res, const Error& error);

}  // namespace fsvc
