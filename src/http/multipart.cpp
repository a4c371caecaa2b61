#include "http/multipart.h"

#include <algorithm>

#include "http/message.h"

namespace fsvc {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kBlankLine = "\r\n\r\n";

Error Malformed(std::string_view what) {
  return Error{Errc::kInvalidArgument, "malformed multipart body: " + std::string(what)};
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

std::string_view Trim(std::string_view s) {
  s = TrimLeft(s);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A parameter value: a token, or a quoted-string. Inside quotes only \" and
// \\ are escapes; any other backslash is kept. Browsers (WHATWG's form
// encoding) never escape a backslash, so a literal one in a filename must
// survive for the path checks to see it, while curl's \" and \\ still read
// as the client meant.
Result<std::string> TakeValue(std::string_view& rest) {
  if (rest.empty() || rest.front() != '"') {
    const size_t end = std::min(rest.find(';'), rest.size());
    std::string value(Trim(rest.substr(0, end)));
    rest.remove_prefix(end);
    return value;
  }
  std::string value;
  for (size_t i = 1; i < rest.size(); ++i) {
    const char c = rest[i];
    if (c == '"') {
      rest.remove_prefix(i + 1);
      return value;
    }
    if (c == '\\' && i + 1 < rest.size() && (rest[i + 1] == '"' || rest[i + 1] == '\\')) ++i;
    value += rest[i];
  }
  return Malformed("a quoted parameter is not closed");
}

// Content-Disposition: form-data; name="field"; filename="a.txt" (RFC 7578 4.2).
Status ParseDisposition(std::string_view value, MultipartParser::Part& part) {
  const size_t semi = std::min(value.find(';'), value.size());
  if (!EqualsIgnoreCase(Trim(value.substr(0, semi)), "form-data")) {
    return Malformed("a part's Content-Disposition is not form-data");
  }
  std::string_view rest = value.substr(semi);
  bool named = false;
  while (!(rest = TrimLeft(rest)).empty()) {
    if (rest.front() != ';') return Malformed("Content-Disposition parameters are not separated");
    rest = TrimLeft(rest.substr(1));
    if (rest.empty()) break;  // a trailing ';'
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos)
      return Malformed("a Content-Disposition parameter has no value");
    const std::string_view name = Trim(rest.substr(0, eq));
    rest = TrimLeft(rest.substr(eq + 1));
    auto taken = TakeValue(rest);
    if (!taken) return taken.error();
    if (EqualsIgnoreCase(name, "name")) {
      part.name = std::move(*taken);
      named = true;
    } else if (EqualsIgnoreCase(name, "filename")) {
      part.filename = std::move(*taken);
    }
  }
  if (!named) return Malformed("a part has no name");
  return OkStatus();
}

}  // namespace

MultipartParser::MultipartParser(std::string_view boundary, Callbacks callbacks)
    : delimiter_("\r\n--" + std::string(boundary)),
      callbacks_(std::move(callbacks)),
      // The first delimiter may open the body with no CRLF before it.
      buffer_(kCrlf) {}

Status MultipartParser::Feed(std::string_view bytes) {
  if (state_ == State::kDone) return OkStatus();  // the epilogue is ignored
  buffer_.append(bytes);
  return Run();
}

Status MultipartParser::Finish() const {
  if (state_ != State::kDone) return Malformed("the body ended before its closing delimiter");
  return OkStatus();
}

bool MultipartParser::done() const {
  return state_ == State::kDone;
}

Status MultipartParser::Run() {
  // Bytes that might be the start of a delimiter split across two Feeds.
  const size_t hold = delimiter_.size() - 1;
  for (;;) {
    switch (state_) {
      case State::kPreamble: {
        const size_t at = buffer_.find(delimiter_);
        if (at == std::string::npos) {
          buffer_.erase(0, buffer_.size() - std::min(buffer_.size(), hold));
          return OkStatus();
        }
        buffer_.erase(0, at + delimiter_.size());
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kAfterDelimiter: {
        if (buffer_.size() < 2) return OkStatus();
        if (buffer_.starts_with("--")) {
          state_ = State::kDone;
          buffer_.clear();
          return OkStatus();
        }
        // Transport padding (RFC 2046 5.1.1) may sit between a delimiter and its CRLF.
        const size_t text = buffer_.find_first_not_of(" \t");
        if ((text == std::string::npos ? buffer_.size() : text) > kMaxPartHeaderBytes) {
          return Malformed("endless padding after a delimiter");
        }
        if (text == std::string::npos || buffer_.size() - text < kCrlf.size()) return OkStatus();
        if (buffer_.compare(text, kCrlf.size(), kCrlf) != 0) {
          return Malformed("a delimiter is not followed by CRLF");
        }
        // The CRLF stays: the header section then ends at the first blank line,
        // even when it is empty.
        buffer_.erase(0, text);
        state_ = State::kHeaders;
        break;
      }
      case State::kHeaders: {
        const size_t end = buffer_.find(kBlankLine);
        // The lines sit between the leading CRLF and the blank line, so a
        // section within the bound ends by kMaxPartHeaderBytes + 6.
        if (end == std::string::npos) {
          if (buffer_.size() >= kMaxPartHeaderBytes + 6) {
            return Malformed("a part's header section is over 8 KiB");
          }
          return OkStatus();
        }
        const std::string_view block =
            end == 0 ? std::string_view() : std::string_view(buffer_).substr(2, end - 2);
        if (block.size() > kMaxPartHeaderBytes) {
          return Malformed("a part's header section is over 8 KiB");
        }
        if (auto st = ParseHeaders(block); !st) return st;
        buffer_.erase(0, end + kBlankLine.size());
        state_ = State::kBody;
        break;
      }
      case State::kBody: {
        const size_t at = buffer_.find(delimiter_);
        const size_t give =
            at != std::string::npos ? at : buffer_.size() - std::min(buffer_.size(), hold);
        if (give > 0) {
          if (auto st = callbacks_.on_data(std::string_view(buffer_).substr(0, give)); !st) {
            return st;
          }
        }
        if (at == std::string::npos) {
          buffer_.erase(0, give);
          return OkStatus();
        }
        buffer_.erase(0, at + delimiter_.size());
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kDone:
        buffer_.clear();
        return OkStatus();
    }
  }
}

Status MultipartParser::ParseHeaders(std::string_view block) {
  Part part;
  bool disposition = false;
  while (!block.empty()) {
    const size_t eol = std::min(block.find(kCrlf), block.size());
    const std::string_view line = block.substr(0, eol);
    block.remove_prefix(std::min(eol + kCrlf.size(), block.size()));
    if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
      return Malformed("a part header holds a bare CR, LF or NUL");
    }
    const size_t colon = line.find(':');
    // No name, or a folded continuation line (obsolete, RFC 9112 5.2).
    if (colon == std::string_view::npos || colon == 0 || line.front() == ' ' ||
        line.front() == '\t') {
      return Malformed("a part header line is not 'Name: value'");
    }
    const std::string_view name = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Content-Disposition")) {
      if (disposition) return Malformed("a part has two Content-Disposition headers");
      disposition = true;
      if (auto st = ParseDisposition(value, part); !st) return st;
    } else if (EqualsIgnoreCase(name, "Content-Type")) {
      part.content_type = std::string(value);
    } else {
      part.headers.emplace_back(name, value);
    }
  }
  if (!disposition) return Malformed("a part has no Content-Disposition");
  return callbacks_.on_part(part);
}

}  // namespace fsvc
