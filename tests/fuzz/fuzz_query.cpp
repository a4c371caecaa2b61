// Query strings as httplib splits and decodes them, then read by our
// parameter helpers: never crashes, and what they accept is in range.
#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/request_params.h"
#include "storage/path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string query(reinterpret_cast<const char*>(data), size);
  httplib::Request req;
  httplib::detail::parse_query_text(query, req.params);
  if (auto n = fsvc::IntParam(req, "pageSize", 100, 1000); n && (*n < 1 || *n > 1000)) {
    std::abort();
  }
  if (auto p = fsvc::FilePathParam(req); p && (p->empty() || p->size() > fsvc::kMaxPathBytes)) {
    std::abort();
  }
  if (auto f = fsvc::FolderPathParam(req); f && f->size() > fsvc::kMaxPathBytes) std::abort();
  return 0;
}
