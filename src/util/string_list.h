// Comma-separated lists, as settings (TRUSTED_PROXIES, CORS_*) and headers
// (Access-Control-Request-Headers) write them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fsvc {

// "a, b ,c" -> {"a", "b", "c"}; empty items are dropped.
std::vector<std::string> SplitList(std::string_view list);

}  // namespace fsvc
