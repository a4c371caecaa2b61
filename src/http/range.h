// The Range request header (RFC 9110 section 14), single range only.
//
// A server may ignore a Range it does not want to serve, so a multi-range
// or malformed header yields kIgnore and the full content is sent; a
// well-formed single range outside the content yields kUnsatisfiable (416).
#pragma once

#include <cstdint>
#include <string_view>

namespace fsvc {

struct ByteRange {
  enum Kind { kIgnore, kSatisfiable, kUnsatisfiable } kind = kIgnore;
  uint64_t offset = 0;  // for kSatisfiable
  uint64_t length = 0;
};

ByteRange ParseRange(std::string_view header, uint64_t content_size);

}  // namespace fsvc
