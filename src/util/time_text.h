// Times as text, for JSON bodies and log lines.
#pragma once

#include <cstdint>
#include <string>

namespace fsvc {

// RFC 3339 UTC with milliseconds: "2026-11-22T19:00:00.123Z".
std::string Rfc3339(int64_t unix_ms);

}  // namespace fsvc
