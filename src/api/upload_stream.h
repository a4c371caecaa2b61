// Reads an upload body from the socket into staged blobs, never holding more
// than the blob writer's buffer in memory.
//
// Raw bodies (PUT) become one staged blob. Multipart bodies, parsed as they
// stream in (http/multipart.h), become one staged blob per part that
// carries a filename, plus the small form fields (at most 4 KiB each, e.g.
// "path"; their count and total bytes are bounded too). A part over the
// size limit is drained and marked failed without failing the others;
// running out of disk fails the whole request. Nothing is committed here:
// the handler names and commits the blobs once the whole body has arrived,
// and whatever a failed request staged is gone when the result is dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/message.h"
#include "storage/storage.h"
#include "util/error.h"

namespace fsvc {

struct StagedFile {
  std::string field;                     // the form field name ("file")
  std::string filename;                  // as the client sent it, unvalidated
  std::string content_type;              // as the client sent it, may be empty
  HeaderList headers;                    // the part's other headers (its checksums)
  std::unique_ptr<SealedUpload> sealed;  // null when the part failed
  std::optional<Error> error;            // set when this part failed on its own
};

struct StagedUpload {
  std::vector<StagedFile> files;
  std::multimap<std::string, std::string> fields;
};

struct UploadLimits {
  uint64_t max_file_bytes = 0;
  size_t max_files = 1;
  size_t max_fields = 64;               // form fields (parts without a filename)
  uint64_t max_field_bytes = 64 << 10;  // their bytes, all together
};

// Reads the request's raw body into one staged blob.
Result<std::unique_ptr<SealedUpload>> StageRawBody(const Request& req, Storage& store,
                                                   uint64_t max_bytes);

// Reads the request's multipart/form-data body. Fails as a whole for a
// missing boundary, a malformed body, more than max_files files, fields over
// their bounds (kFormTooLarge), a body the connection could not deliver, or
// a storage error that is not per-file.
Result<StagedUpload> StageMultipart(const Request& req, Storage& store, const UploadLimits& limits);

}  // namespace fsvc
