#include "api/file_download.h"

#include "api/json_views.h"
#include "http/error_response.h"
#include "http/file_body.h"
#include "http/range.h"

namespace fsvc {
namespace {

bool ETagMatches(const std::string& header, const std::string& etag) {
  if (header == "*") return true;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(',', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view tag(header.data() + pos, end - pos);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);  // weak comparison, RFC 9110 13.1.2
    if (tag == etag) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace

void ServeFile(const httplib::Request& req, httplib::Response& res, OpenFile file) {
  const FileInfo& info = file.info;
  const std::string etag = info.ETag();
  res.set_header("ETag", etag);
  res.set_header("Last-Modified", HttpDate(info.modified_ms));
  res.set_header("Accept-Ranges", "bytes");
  res.set_header("Cache-Control", "no-cache");

  if (req.has_header("If-None-Match") && ETagMatches(req.get_header_value("If-None-Match"), etag)) {
    res.status = 304;
    return;
  }
  const uint64_t size = file.blob->size;
  uint64_t offset = 0, length = size;
  res.status = 200;
  const bool range_applies = req.has_header("Range") && (!req.has_header("If-Range") ||
                                                         req.get_header_value("If-Range") == etag);
  if (range_applies) {
    const ByteRange r = ParseRange(req.get_header_value("Range"), size);
    if (r.kind == ByteRange::kUnsatisfiable) {
      res.set_header("Content-Range", "bytes */" + std::to_string(size));
      SendError(res, {Errc::kRangeNotSatisfiable,
                      "range is outside the file of " + std::to_string(size) + " bytes"});
      return;
    }
    if (r.kind == ByteRange::kSatisfiable) {
      offset = r.offset;
      length = r.length;
      res.status = 206;
      res.set_header("Content-Range", "bytes " + std::to_string(offset) + "-" +
                                          std::to_string(offset + length - 1) + "/" +
                                          std::to_string(size));
    }
  }
  if (length == 0) {
    res.set_content("", info.content_type);
    return;
  }
  auto blob = file.blob;
  res.set_content_provider(static_cast<size_t>(length), info.content_type,
                           [blob, offset](size_t at, size_t want, httplib::DataSink& sink) {
                             return WriteFileSlice(sink, blob->fd.get(), offset + at, want);
                           });
}

}  // namespace fsvc
