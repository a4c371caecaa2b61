#include "api/file_download.h"

#include <array>

#include "api/json_views.h"
#include "http/error_response.h"
#include "http/range.h"
#include "storage/path.h"
#include "util/percent_encode.h"

namespace fsvc {
namespace {

bool ETagMatches(std::string_view header, const std::string& etag) {
  if (header == "*") return true;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view tag = header.substr(pos, end - pos);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);  // weak comparison, RFC 9110 13.1.2
    if (tag == etag) return true;
    pos = end + 1;
  }
  return false;
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
  const uint64_t size = file.blob->size;
  const std::string etag = info.ETag();
  res.SetHeader("ETag", etag);
  res.SetHeader("Last-Modified", HttpDate(info.modified_ms));
  res.SetHeader("Accept-Ranges", "bytes");
  res.SetHeader("Cache-Control", "no-cache");
  if (!InlineSafe(info.content_type)) {
    res.SetHeader("Content-Disposition",
                  "attachment; filename*=UTF-8''" + PercentEncode(BaseName(info.path)));
    res.SetHeader("Content-Security-Policy", "sandbox");
  }

  if (req.HasHeader("If-None-Match") && ETagMatches(req.Header("If-None-Match"), etag)) {
    res.status = 304;
    // RFC 9110 8.6: a 304 may state the length a 200 would have had, and
    // must not state any other (the server would otherwise write 0).
    res.SetHeader("Content-Length", std::to_string(size));
    return;
  }
  uint64_t offset = 0, length = size;
  res.status = 200;
  const bool range_applies =
      req.HasHeader("Range") && (!req.HasHeader("If-Range") || req.Header("If-Range") == etag);
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
  if (length == 0) {
    res.SetBody("", info.content_type);
    return;
  }
  const int fd = file.blob->fd.get();
  res.SetFileBody({std::move(file.blob), fd, offset, length}, info.content_type);
}

}  // namespace fsvc
