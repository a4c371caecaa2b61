#include "http/mime_types.h"

#include <algorithm>
#include <array>
#include <utility>

namespace fsvc {

std::string MimeTypeFor(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 32> kTypes{{
      {"7z", "application/x-7z-compressed"},
      {"avif", "image/avif"},
      {"bin", "application/octet-stream"},
      {"bmp", "image/bmp"},
      {"css", "text/css"},
      {"csv", "text/csv"},
      {"gif", "image/gif"},
      {"gz", "application/gzip"},
      {"htm", "text/html"},
      {"html", "text/html"},
      {"ico", "image/vnd.microsoft.icon"},
      {"jpeg", "image/jpeg"},
      {"jpg", "image/jpeg"},
      {"js", "text/javascript"},
      {"json", "application/json"},
      {"md", "text/markdown"},
      {"mp3", "audio/mpeg"},
      {"mp4", "video/mp4"},
      {"pdf", "application/pdf"},
      {"png", "image/png"},
      {"svg", "image/svg+xml"},
      {"tar", "application/x-tar"},
      {"tif", "image/tiff"},
      {"tiff", "image/tiff"},
      {"txt", "text/plain"},
      {"wasm", "application/wasm"},
      {"wav", "audio/wav"},
      {"webm", "video/webm"},
      {"webp", "image/webp"},
      {"xml", "application/xml"},
      {"yaml", "application/yaml"},
      {"zip", "application/zip"},
  }};
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size()) return "application/octet-stream";
  std::string ext(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto it = std::lower_bound(kTypes.begin(), kTypes.end(), ext,
                                   [](const auto& e, const std::string& k) { return e.first < k; });
  if (it != kTypes.end() && it->first == ext) {
    std::string type(it->second);
    if (type.rfind("text/", 0) == 0) type += "; charset=utf-8";
    return type;
  }
  return "application/octet-stream";
}

}  // namespace fsvc
