// Hexadecimal digits, both ways: digests, ids and tokens are written in
// lower-case hex; chunk sizes, escapes and stored digests are read back.
#pragma once

#include <cstddef>
#include <string>

namespace fsvc {

// The value of one hex digit (either case), or -1.
inline int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const char lower = static_cast<char>(c | 0x20);
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

// `size` bytes as lower-case hex, two digits a byte.
std::string HexEncode(const unsigned char* data, size_t size);

}  // namespace fsvc
