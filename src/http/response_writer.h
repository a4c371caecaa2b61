// Writes a Response on a connection: the status line and header block, then
// the body (from memory, from its file with sendfile(2), or as its producer
// streams it).
//
// The server's only writer of responses, for answers the boundary gives
// early and for what handlers return alike. Content-Length is always sent
// (never for 1xx, 204 and 304), so every response on a kept-alive
// connection is framed without chunking; a HEAD answer carries the length
// of the body it omits. "Connection: close" is sent when the connection
// closes after the response, and every response says
// X-Content-Type-Options: nosniff (browsers must not guess a type the
// response did not declare).
#pragma once

#include <string>

#include "http/connection_stream.h"
#include "http/message.h"

namespace fsvc {

// The status line and header block, blank line included.
std::string ResponseHead(const Response& res, bool close);

// False when the client is gone or a file body could not be read in full:
// the connection must then close.
bool WriteResponse(ConnectionStream& stream, const Response& res, bool head_request, bool close);

}  // namespace fsvc
