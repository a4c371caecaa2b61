// Batch-download request bodies: never throws, and an accepted request holds
// between 1 and max_paths strings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "links/batch_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  constexpr size_t kMax = 8;
  auto paths = fsvc::ParseBatchDownloadRequest(body, kMax);
  if (paths && (paths->empty() || paths->size() > kMax)) std::abort();
  if (!paths && paths.error().code != fsvc::Errc::kInvalidArgument &&
      paths.error().code != fsvc::Errc::kTooManyFiles) {
    std::abort();
  }
  return 0;
}
