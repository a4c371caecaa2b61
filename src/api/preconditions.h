// RFC 9110 section 13 conditional requests on a file, in the order of
// evaluation of 13.2.2:
//   1. If-Match (strong comparison; "*" needs a current file), else
//   2. If-Unmodified-Since (ignored when If-Match is present),
//      false -> 412;
//   3. If-None-Match (weak comparison; "*" matches any current file),
//      false -> 304 on GET/HEAD, 412 otherwise;
//   4. If-Modified-Since on GET/HEAD only, ignored when If-None-Match is
//      present, false -> 304.
// (If-Range, step 5, is the download's: src/api/file_download.cpp.)
// Dates compare at one-second resolution, as Last-Modified states them; a
// date that is not a valid HTTP-date makes its header ignored, as the RFC
// says. Writes evaluate them inside the storage commit (Guard), so the
// check and the replace or delete are one step for every other writer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"
#include "http/route_table.h"
#include "storage/storage.h"

namespace fsvc {

// The headers, as the route table documents them.
inline const std::vector<HeaderParam> kReadPreconditions = {
    {"If-Match", "412 unless the file's ETag is listed (strong comparison) or '*'"},
    {"If-None-Match", "304 when the file's ETag is listed (weak comparison) or '*'"},
    {"If-Modified-Since", "304 unless modified after this HTTP-date (ignored with If-None-Match)"},
    {"If-Unmodified-Since", "412 when modified after this HTTP-date (ignored with If-Match)"},
    {"Range", "one byte range: 206, or 416 outside the file"},
    {"If-Range", "the ETag or Last-Modified date the Range is for: else the whole file"},
};
inline const std::vector<HeaderParam> kWritePreconditions = {
    {"If-Match", "412 (nothing changed) unless the current file's ETag is listed or '*'"},
    {"If-None-Match", "'*': only if no file is there, else 412; a tag list: 412 if one matches"},
    {"If-Unmodified-Since", "412 (nothing changed) when the file was modified after this date"},
};

class Preconditions {
 public:
  static Preconditions From(const Request& req);

  enum class Outcome { kProceed, kNotModified, kFailed };
  // Against the file at the path now (null: none). `safe`: GET or HEAD.
  Outcome Evaluate(const FileInfo* current, bool safe) const;
  bool empty() const;

  // For PUT and DELETE: kPreconditionFailed (412) where Evaluate would not
  // proceed.
  Status CheckWrite(const FileInfo* current) const;
  // CheckWrite as a storage guard; null when there is nothing to check.
  FileGuard Guard() const;

 private:
  std::optional<std::string> if_match_;
  std::optional<std::string> if_none_match_;
  std::optional<int64_t> if_unmodified_since_;  // unix seconds
  std::optional<int64_t> if_modified_since_;
};

// "*" or a comma-separated entity-tag list against `etag`; `weak`: W/ tags
// compare by their opaque part (RFC 9110 8.8.3.2).
bool ETagListMatches(std::string_view header, std::string_view etag, bool weak);

// RFC 9110 13.1.5: whether a Range sent with If-Range `value` applies to
// `file` (else the whole file is sent). An entity-tag matches by strong
// comparison; an HTTP-date only when it is the file's Last-Modified exactly
// and that date is a strong validator, i.e. at least a second older than
// `now_ms` (8.8.2.2: within its own second a file may change again unseen).
bool IfRangeMatches(std::string_view value, const FileInfo& file, int64_t now_ms);

// An HTTP-date in any of RFC 9110 5.6.7's three formats, as unix seconds.
std::optional<int64_t> ParseHttpDate(std::string_view text);

}  // namespace fsvc
