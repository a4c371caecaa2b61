// Range parsing: the first 8 bytes are the content size, the rest the
// header. A satisfiable range always lies inside the content.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "http/range.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint64_t content_size = 0;
  if (size >= sizeof content_size) {
    std::memcpy(&content_size, data, sizeof content_size);
    data += sizeof content_size;
    size -= sizeof content_size;
  }
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const fsvc::ByteRange r = fsvc::ParseRange(header, content_size);
  if (r.kind == fsvc::ByteRange::kSatisfiable) {
    if (r.length == 0 || r.offset >= content_size || r.length > content_size - r.offset) {
      std::abort();
    }
  }
  return 0;
}
