// The request and response types every handler sees.
//
// They are the project's own, so that no handler depends on the HTTP
// library: the boundary (src/http/boundary.h) fills a Request from the
// header block it parsed and checked, and src/http/response_writer.h writes
// a Response. A Request's body is there in the form its
// route declared (src/http/route_table.h): nothing, a small buffered body,
// or a stream the handler pulls with ReadBody().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace fsvc {

// Header names compare case-insensitively (RFC 9110 5.1).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

using HeaderList = std::vector<std::pair<std::string, std::string>>;
// The first value of header `name` in `headers`, "" when absent.
std::string_view FindHeader(const HeaderList& headers, std::string_view name);

// Pulls a streamed body: `sink` gets each chunk as it arrives and stops the
// read by returning an error, which the pull then returns. Ok once the body
// has ended as framed; otherwise the sink's error, or the connection's (400
// bad chunking, 408 too slow, 413 over the limit, or the client gone).
using BodySink = std::function<Status(std::string_view chunk)>;
using BodyPuller = std::function<Status(const BodySink& sink)>;

class Request {
 public:
  std::string method;  // "HEAD" reaches GET handlers as "HEAD"
  std::string target;  // as sent
  std::string path;    // percent-decoded, without the query
  HeaderList headers;
  std::multimap<std::string, std::string> params;  // decoded query parameters
  std::vector<std::string> captures;               // the route pattern's {names}, in order
  std::string remote_addr;
  std::string client;  // who the limiter and the per-client bounds count (src/http/boundary.h)
  std::string key_id;  // the API key that was accepted, empty when none was needed
  std::string body;    // the whole body, on routes with a small body
  uint64_t body_length = 0;  // what Content-Length declared; 0 when chunked or none

  // The first value of a header, "" when absent.
  std::string_view Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  std::string Param(std::string_view name) const;
  bool HasParam(std::string_view name) const;
  // The query string as sent (after '?'), "" when none.
  std::string_view RawQuery() const;
  // Content-Type is multipart/form-data (media types are case-insensitive).
  bool IsMultipartForm() const;
  // The multipart boundary parameter of Content-Type, "" when absent.
  std::string MultipartBoundary() const;

  // On routes with a streamed body: reads it to its end through `sink`.
  // Reading at most once; a second call fails.
  Status ReadBody(const BodySink& sink) const;
  void SetBodyPuller(BodyPuller puller) { puller_ = std::move(puller); }

 private:
  BodyPuller puller_;
};

class Response {
 public:
  int status = 200;

  // Replaces a header of the same name.
  void SetHeader(std::string_view name, std::string value);
  std::string_view Header(std::string_view name) const;
  const HeaderList& headers() const { return headers_; }

  void SetBody(std::string body, std::string content_type);
  const std::string& body() const { return body_; }
  const std::string& content_type() const { return content_type_; }

  // The body is bytes [offset, offset + length) of the open file `fd`;
  // `owner` keeps the descriptor open until the response has been sent.
  struct FileBody {
    std::shared_ptr<const void> owner;
    int fd = -1;
    uint64_t offset = 0;
    uint64_t length = 0;
  };
  void SetFileBody(FileBody file, std::string content_type);
  const FileBody* file() const { return file_.fd >= 0 ? &file_ : nullptr; }

  // The body is `length` bytes that `produce` passes to the sink it is
  // given, once the header block is out (bytes that are in no local file).
  // Sending fewer or more, or an error from `produce`, cuts the connection:
  // the client sees a body shorter than its Content-Length, never a
  // different one.
  struct StreamBody {
    uint64_t length = 0;
    std::function<Status(const BodySink& sink)> produce;
  };
  void SetStreamBody(StreamBody stream, std::string content_type);
  const StreamBody* stream() const { return stream_.produce ? &stream_ : nullptr; }

  // The body's length, whichever form it has.
  uint64_t body_length() const;

  // The connection closes after this response (the body was not read).
  void CloseConnection() { close_ = true; }
  bool closes_connection() const { return close_; }

 private:
  HeaderList headers_;
  std::string body_;
  std::string content_type_;
  FileBody file_;
  StreamBody stream_;
  bool close_ = false;
};

}  // namespace fsvc
