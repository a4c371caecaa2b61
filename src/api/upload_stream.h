// Reads an upload body from the socket into staged blobs, never holding more
// than the blob writer's buffer in memory.
//
// Raw bodies (PUT) become one staged blob. Multipart bodies become one staged
// blob per part that carries a filename, plus the small form fields (at most
// 4 KiB each, e.g. "path"). A part over the size limit is drained and marked
// failed without failing the others; running out of disk fails the whole
// request. Nothing is committed here: the handler names and commits the
// blobs once the whole body has arrived.
#pragma once

#include <httplib.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/file_store.h"
#include "util/error.h"

namespace fsvc {

struct StagedFile {
  std::string field;         // the form field name ("file")
  std::string filename;      // as the client sent it, unvalidated
  std::string content_type;  // as the client sent it, may be empty
  std::optional<PendingBlob> blob;
  std::optional<Error> error;  // set when this part failed on its own
};

struct StagedUpload {
  std::vector<StagedFile> files;
  std::multimap<std::string, std::string> fields;
};

struct UploadLimits {
  uint64_t max_file_bytes = 0;
  size_t max_files = 1;
};

// Reads a raw body into one staged blob.
Result<PendingBlob> StageRawBody(const httplib::ContentReader& reader, FileStore& store,
                                 uint64_t max_bytes);

// Reads a multipart/form-data body. Fails as a whole for a malformed body,
// more than max_files files, or a storage error that is not per-file.
Result<StagedUpload> StageMultipart(const httplib::ContentReader& reader, FileStore& store,
                                    const UploadLimits& limits);

}  // namespace fsvc
