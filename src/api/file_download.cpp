#include "api/file_download.h"

#include <array>
#include <chrono>

#include "api/client_digest.h"
#include "api/json_views.h"
#include "api/preconditions.h"
#include "http/error_response.h"
#include "http/range.h"
#include "storage/path.h"
#include "util/percent_encode.h"

namespace fsvc {
namespace {

int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Whether a browser may show `content_type` inline. An allow-list of types
// that run no script and render nothing of their own: plain text, the
// raster image formats, audio and video. Everything else (HTML, XHTML,
// SVG, XML, JavaScript, PDF, whose viewers run embedded script and forms,
// and any type not listed) goes out as an attachment, since the uploader
// chose the type and the file would otherwise run as a page of this origin.
bool InlineSafe(std::string_view content_type) {
  const std::string_view type = content_type.substr(0, content_type.find(';'));
  const auto starts = [type](std::string_view prefix) {
    return type.size() > prefix.size() && EqualsIgnoreCase(type.substr(0, prefix.size()), prefix);
  };
  static constexpr std::array<std::string_view, 6> kInline = {
      "text/plain", "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"};
  for (std::string_view t : kInline) {
    if (EqualsIgnoreCase(type, t)) return true;
  }
  return starts("audio/") || starts("video/");
}

}  // namespace

void ServeFile(const Request& req, Response& res, OpenFile file) {
  const FileInfo& info = file.info;
  const uint64_t size = file.content->size();
  const std::string etag = info.ETag();
  res.SetHeader("ETag", etag);
  res.SetHeader("Last-Modified", HttpDate(info.modified_ms));
  res.SetHeader("Accept-Ranges", "bytes");
  res.SetHeader("Cache-Control", "no-cache");
  const std::string digest = DigestFieldValue(info.sha256);
  res.SetHeader("Repr-Digest", digest);
  if (!InlineSafe(info.content_type)) {
    res.SetHeader("Content-Disposition",
                  "attachment; filename*=UTF-8''" + PercentEncode(BaseName(info.path)));
    res.SetHeader("Content-Security-Policy", "sandbox");
  }

  switch (Preconditions::From(req).Evaluate(&info, /*safe=*/true)) {
    case Preconditions::Outcome::kProceed:
      break;
    case Preconditions::Outcome::kFailed:
      return SendError(
          res, {Errc::kPreconditionFailed, "precondition failed: the file's ETag is " + etag});
    case Preconditions::Outcome::kNotModified:
      res.status = 304;
      // RFC 9110 8.6: a 304 may state the length a 200 would have had, and
      // must not state any other (the server would otherwise write 0).
      res.SetHeader("Content-Length", std::to_string(size));
      return;
  }
  uint64_t offset = 0, length = size;
  res.status = 200;
  const bool range_applies =
      req.HasHeader("Range") &&
      (!req.HasHeader("If-Range") || IfRangeMatches(req.Header("If-Range"), info, UnixNowMs()));
  if (range_applies) {
    const ByteRange r = ParseRange(req.Header("Range"), size);
    if (r.kind == ByteRange::kUnsatisfiable) {
      res.SetHeader("Content-Range", "bytes */" + std::to_string(size));
      SendError(res, {Errc::kRangeNotSatisfiable,
                      "range is outside the file of " + std::to_string(size) + " bytes"});
      return;
    }
    if (r.kind == ByteRange::kSatisfiable) {
      offset = r.offset;
      length = r.length;
      res.status = 206;
      res.SetHeader("Content-Range", "bytes " + std::to_string(offset) + "-" +
                                         std::to_string(offset + length - 1) + "/" +
                                         std::to_string(size));
    }
  }
  // Content-Digest describes the bytes sent: only a whole file's is known.
  if (res.status == 200) res.SetHeader("Content-Digest", digest);
  if (length == 0) {
    res.SetBody("", info.content_type);
    return;
  }
  if (const auto local = file.content->local_range()) {
    return res.SetFileBody({std::move(file.content), local->fd, local->offset + offset, length},
                           info.content_type);
  }
  res.SetStreamBody(
      {length, [content = std::move(file.content), offset,
                length](const BodySink& sink) { return content->Read(offset, length, sink); }},
      info.content_type);
}

}  // namespace fsvc
