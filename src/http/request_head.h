// The request line and header block, parsed by the boundary before the HTTP
// library sees them, and the body framing they declare.
//
// Strict where leniency lets two parsers disagree (RFC 9112): a method is
// upper-case letters, the target an origin-form path (or "*"), the version
// HTTP/1.0 or 1.1; a header name is a token followed directly by ':' (no
// whitespace before it), no line folding, no bare CR, no NUL. Lines end in
// CRLF: a bare LF is refused, as the library refuses it. Body framing: at
// most one Content-Length (digits only, below 2^62), at most one
// Transfer-Encoding and only "chunked" (any letter case), never both;
// neither means no body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "util/error.h"

namespace fsvc {

struct BodyFraming {
  enum Kind { kNone, kLength, kChunked } kind = kNone;
  uint64_t length = 0;  // kLength only
  // Content-Length: 0 and no framing both declare an empty body.
  bool HasBody() const { return kind == kChunked || (kind == kLength && length > 0); }
};

struct RequestHead {
  std::string method;
  std::string target;
  std::string path;  // percent-decoded
  std::multimap<std::string, std::string> params;
  bool http10 = false;
  HeaderList headers;
  size_t size = 0;  // bytes of the request line and header block, blank line included
};

// Parses one header block at the start of `bytes` (which must hold its
// end). Errors: kUriTooLong (414), kHeaderTooLarge (431) past `max_bytes`,
// kInvalidArgument (400) otherwise.
Result<RequestHead> ParseRequestHead(std::string_view bytes, size_t max_bytes);

// The framing the head declares, or why it is ambiguous (400).
Result<BodyFraming> ParseFraming(const RequestHead& head);

// Decodes %XX escapes ('+' too, as a space, when `plus_is_space`); a
// malformed escape stays as it is.
std::string PercentDecode(std::string_view s, bool plus_is_space);
// Splits a query string into decoded name/value pairs.
std::multimap<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace fsvc
