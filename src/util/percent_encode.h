// Percent-encoding (RFC 3986 2.1) for what the service writes into headers:
// Location targets and RFC 8187 filename* values.
#pragma once

#include <string>
#include <string_view>

namespace fsvc {

// `s` with every byte percent-encoded except the unreserved characters
// (letters, digits, "-._~") and those in `keep` (e.g. "/" for a path).
std::string PercentEncode(std::string_view s, std::string_view keep = {});

}  // namespace fsvc
