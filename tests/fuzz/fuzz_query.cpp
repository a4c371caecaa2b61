// Query strings as the boundary splits and decodes them (http/request_head.h),
// then read by our parameter helpers: never crashes, and what they accept is
// in range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/request_params.h"
#include "http/message.h"
#include "http/request_head.h"
#include "storage/path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fsvc::Request req;
  req.params = fsvc::ParseQuery(std::string_view(reinterpret_cast<const char*>(data), size));
  if (auto n = fsvc::IntParam(req, "pageSize", 100, 1000); n && (*n < 1 || *n > 1000)) {
    std::abort();
  }
  if (auto p = fsvc::FilePathParam(req); p && (p->empty() || p->size() > fsvc::kMaxPathBytes)) {
    std::abort();
  }
  if (auto f = fsvc::FolderPathParam(req); f && f->size() > fsvc::kMaxPathBytes) std::abort();
  return 0;
}
