// A streaming multipart/form-data parser (RFC 7578): bytes in, parts out,
// with no more than a delimiter's length of body bytes held back.
//
// Feed() takes the body in pieces of any size; `on_part` is called when a
// part's header section has been read (its name, filename, type and other
// headers), then
// `on_data` with its bytes as they arrive (the delimiter never included),
// until the next part or the closing delimiter. A part's header section is
// at most kMaxPartHeaderBytes; anything before the first delimiter and
// after the last is ignored. Either callback may fail the parse by
// returning an error, which Feed() then returns. Finish() says whether the
// closing delimiter was seen.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "http/message.h"
#include "util/error.h"

namespace fsvc {

class MultipartParser {
 public:
  static constexpr size_t kMaxPartHeaderBytes = 8192;

  struct Part {
    std::string name;          // Content-Disposition name=
    std::string filename;      // filename= (empty: a plain form field)
    std::string content_type;  // the part's Content-Type, may be empty
    HeaderList headers;        // every other part header (Content-Digest...)
  };
  struct Callbacks {
    std::function<Status(const Part&)> on_part;
    std::function<Status(std::string_view)> on_data;
  };

  MultipartParser(std::string_view boundary, Callbacks callbacks);

  Status Feed(std::string_view bytes);
  // At the body's end: an error unless the closing delimiter was seen.
  Status Finish() const;
  bool done() const;

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeaders, kBody, kDone };
  Status Run();
  Status ParseHeaders(std::string_view block);

  const std::string delimiter_;  // "\r\n--" + boundary
  Callbacks callbacks_;
  State state_ = State::kPreamble;
  std::string buffer_;  // bytes not yet handed on
};

}  // namespace fsvc
