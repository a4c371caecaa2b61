// Serves an opened file as an HTTP response: conditional requests
// (src/api/preconditions.h: 412, 304), a single Range (206 / 416, If-Range honoured),
// and the body sent straight from the blob's descriptor (Response::FileBody),
// so a download holds no buffer of its own however large the file or slow
// the reader. Content that a browser would run (HTML, SVG, scripts, or any
// type not known to be inert) is served as a sandboxed attachment, so a
// stored file cannot act as a page of this origin. Shared by
// GET /files/{path} and signed links.
#pragma once

#include "http/message.h"
#include "storage/storage.h"

namespace fsvc {

void ServeFile(const Request& req, Response& res, OpenFile file);

}  // namespace fsvc
