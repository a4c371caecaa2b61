// Streams an opened file as an HTTP response: conditional requests
// (If-None-Match -> 304), a single Range (206 / 416, If-Range honoured),
// and the body sent from the page cache as the client takes it (see
// http/file_body.h), so a download holds no buffer of its own however large
// the file or slow the reader. Shared by GET /files/{path} and signed links.
#pragma once

#include <httplib.h>

#include "storage/file_store.h"

namespace fsvc {

void ServeFile(const httplib::Request& req, httplib::Response& res, OpenFile file);

}  // namespace fsvc
