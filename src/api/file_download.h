// Streams an opened file as an HTTP response: conditional requests
// (If-None-Match -> 304), a single Range (206 / 416, If-Range honoured),
// and the body read from disk in small slices as the client takes it, so a
// download holds one slice of memory however large the file or slow the
// reader. Shared by GET /files/{path} and signed links.
#pragma once

#include <httplib.h>

#include "storage/file_store.h"

namespace fsvc {

void ServeFile(const httplib::Request& req, httplib::Response& res, OpenFile file);

}  // namespace fsvc
