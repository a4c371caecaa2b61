#include "storage/path.h"

namespace fsvc {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 if it is malformed
// (overlong forms, surrogates and code points past U+10FFFF included).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  size_t len = 0;
  uint32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0)
    len = 2, cp = b0 & 0x1F;
  else if ((b0 & 0xF0) == 0xE0)
    len = 3, cp = b0 & 0x0F;
  else if ((b0 & 0xF8) == 0xF0)
    len = 4, cp = b0 & 0x07;
  else
    return 0;
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

Error Bad(std::string why) {
  return Error{Errc::kInvalidPath, std::move(why)};
}

Result<std::string> Validate(std::string_view p) {
  if (p.size() > kMaxPathBytes) {
    return Bad("path is longer than " + std::to_string(kMaxPathBytes) + " bytes");
  }
  if (p.front() == '/') return Bad("path must be relative (no leading '/')");
  for (size_t i = 0; i < p.size();) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c == 0x7F) return Bad("path contains a control character");
    if (c == '\\') return Bad("path contains a backslash");
    const size_t n = Utf8SequenceLength(p, i);
    if (n == 0) return Bad("path is not valid UTF-8");
    i += n;
  }
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    const std::string_view seg = p.substr(start, end - start);
    if (seg.empty()) return Bad("path has an empty segment");
    if (seg == "." || seg == "..") return Bad("path has a '.' or '..' segment");
    if (seg.size() > kMaxSegmentBytes) {
      return Bad("a path segment is longer than " + std::to_string(kMaxSegmentBytes) + " bytes");
    }
    start = end + 1;
  }
  return std::string(p);
}

}  // namespace

Result<std::string> NormalizeFilePath(std::string_view raw) {
  if (raw.empty()) return Bad("path is empty");
  if (raw.back() == '/') return Bad("a file path must not end with '/'");
  return Validate(raw);
}

Result<std::string> NormalizeFolderPath(std::string_view raw) {
  if (raw.empty() || raw == "/") return std::string();
  if (raw.back() == '/') raw.remove_suffix(1);
  if (raw.empty()) return Bad("path has an empty segment");
  return Validate(raw);
}

std::string_view ParentFolder(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::string_view BaseName(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string JoinPath(std::string_view folder, std::string_view name) {
  if (folder.empty()) return std::string(name);
  std::string out;
  out.reserve(folder.size() + 1 + name.size());
  out.append(folder).append("/").append(name);
  return out;
}

}  // namespace fsvc
