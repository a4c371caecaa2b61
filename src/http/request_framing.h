// Refuses requests whose body length is ambiguous (request smuggling shapes)
// before any handler runs.
//
// cpp-httplib 0.11.4 reads "Content-Length: abc" as 0, uses the first of two
// differing Content-Length headers, lets chunked Transfer-Encoding win over a
// Content-Length without closing the connection, and reads a body of an
// unknown Transfer-Encoding until the peer closes. A proxy in front may frame
// any of these differently, so each is answered 400 with Connection: close
// (the unread bytes are never parsed as a next request).
#pragma once

#include <httplib.h>

namespace fsvc {

// An HttpServer middleware: true (answered) when the framing is ambiguous.
bool RejectAmbiguousFraming(const httplib::Request& req, httplib::Response& res);

}  // namespace fsvc
