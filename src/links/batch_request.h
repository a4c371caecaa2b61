// Parses a batch-download request body: {"paths": ["docs/a.txt", ...]}.
//
// Contract: never throws. kInvalidArgument when the body is not a JSON object,
// has no "paths" (or two), or "paths" is not a non-empty array of strings;
// kTooManyFiles as soon as the array holds more than max_paths, and parsing
// stops there, so an oversized request costs no more than max_paths strings.
// Other top-level fields are ignored. Paths come back as written: normalising
// them (and reporting a bad one per path) is the storage layer's job.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace fsvc {

Result<std::vector<std::string>> ParseBatchDownloadRequest(std::string_view body,
                                                           std::size_t max_paths);

}  // namespace fsvc
