// Path normalisation: whatever the bytes, an accepted path is in canonical
// form (no "."/".." or empty segment, no NUL, within the length limits) and
// normalising it again changes nothing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "storage/path.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckCanonical(const std::string& p) {
  Check(p.size() <= fsvc::kMaxPathBytes);
  Check(p.find('\0') == std::string::npos && p.find('\\') == std::string::npos);
  Check(p.empty() || (p.front() != '/' && p.back() != '/'));
  Check(p.find("//") == std::string::npos);
  std::string_view rest = p;
  while (!rest.empty()) {
    const size_t slash = std::min(rest.find('/'), rest.size());
    const std::string_view seg = rest.substr(0, slash);
    Check(seg != "." && seg != ".." && seg.size() <= fsvc::kMaxSegmentBytes);
    rest.remove_prefix(std::min(slash + 1, rest.size()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  if (auto file = fsvc::NormalizeFilePath(raw)) {
    CheckCanonical(*file);
    Check(!file->empty());
    auto again = fsvc::NormalizeFilePath(*file);
    Check(again.ok() && *again == *file);
    Check(fsvc::JoinPath(fsvc::ParentFolder(*file), fsvc::BaseName(*file)) == *file);
  }
  if (auto folder = fsvc::NormalizeFolderPath(raw)) {
    CheckCanonical(*folder);
    auto again = fsvc::NormalizeFolderPath(*folder);
    Check(again.ok() && *again == *folder);
  }
  return 0;
}
