// Content-Type for a file name, by its extension.
#pragma once

#include <string>
#include <string_view>

namespace fsvc {

// "report.PDF" -> "application/pdf"; unknown -> "application/octet-stream".
std::string MimeTypeFor(std::string_view file_name);

}  // namespace fsvc
