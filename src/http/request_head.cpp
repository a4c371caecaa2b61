#include "http/request_head.h"

#include <algorithm>
#include <charconv>

#include "util/hex.h"

namespace fsvc {
namespace {

// The longest request target the library accepts (its own 414 bound).
constexpr size_t kMaxTargetBytes = 8192;

Error Malformed(std::string what) {
  return Error{Errc::kInvalidArgument, "malformed request: " + std::move(what)};
}

bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The next line of `rest` without its CRLF; false when none ends. A bare
// LF ends no line: the library refuses it, so the boundary must too.
bool NextLine(std::string_view& rest, std::string_view& line) {
  const size_t lf = rest.find('\n');
  if (lf == std::string_view::npos || lf == 0 || rest[lf - 1] != '\r') return false;
  line = rest.substr(0, lf - 1);
  rest.remove_prefix(lf + 1);
  return true;
}

Status ParseRequestLine(std::string_view line, RequestHead& head) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Malformed("the request line is not 'METHOD target HTTP/1.1'");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (method.empty() || method.size() > 16 ||
      !std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return Malformed("bad method");
  }
  if (version == "HTTP/1.0") {
    head.http10 = true;
  } else if (version != "HTTP/1.1") {
    return Malformed("unsupported HTTP version");
  }
  if (target.size() > kMaxTargetBytes) {
    return Error{Errc::kUriTooLong,
                 "request target over " + std::to_string(kMaxTargetBytes) + " bytes"};
  }
  if (target.empty() || (target.front() != '/' && target != "*")) {
    return Malformed("the target must be a path starting with '/'");
  }
  if (std::any_of(target.begin(), target.end(),
                  [](unsigned char c) { return c <= 0x20 || c == 0x7f; })) {
    return Malformed("control character in the target");
  }
  head.method = std::string(method);
  head.target = std::string(target);
  const size_t q = target.find('?');
  // '#' never reaches a server; a client that sends one means no fragment.
  head.path = PercentDecode(target.substr(0, std::min(q, target.find('#'))), false);
  if (q != std::string_view::npos) head.params = ParseQuery(target.substr(q + 1));
  return OkStatus();
}

Result<uint64_t> ParseLength(std::string_view v) {
  uint64_t n = 0;
  if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Malformed("Content-Length is not a number");
  }
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || n >= (uint64_t{1} << 62)) return Malformed("Content-Length too large");
  return n;
}

}  // namespace

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 2 < s.size() && HexDigitValue(s[i + 1]) >= 0 &&
        HexDigitValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexDigitValue(s[i + 1]) * 16 + HexDigitValue(s[i + 2]));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::multimap<std::string, std::string> ParseQuery(std::string_view query) {
  std::multimap<std::string, std::string> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    out.emplace(
        PercentDecode(pair.substr(0, eq), true),
        eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true));
  }
  return out;
}

Result<RequestHead> ParseRequestHead(std::string_view bytes, size_t max_bytes) {
  // A block that has not ended within the bound never will.
  const Error unended = bytes.size() >= max_bytes
                            ? Error{Errc::kHeaderTooLarge,
                                    "request header over " + std::to_string(max_bytes) + " bytes"}
                            : Malformed("the header block does not end in CRLF CRLF");
  RequestHead head;
  std::string_view rest = bytes;
  std::string_view line;
  // RFC 9112 2.2: empty lines before a request line are ignored.
  do {
    if (!NextLine(rest, line)) return unended;
  } while (line.empty() && bytes.size() - rest.size() <= 4);
  if (auto st = ParseRequestLine(line, head); !st) return st.error();
  for (;;) {
    if (bytes.size() - rest.size() > max_bytes) {
      return Error{Errc::kHeaderTooLarge,
                   "request header over " + std::to_string(max_bytes) + " bytes"};
    }
    if (!NextLine(rest, line)) return unended;
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') return Malformed("folded header line");
    const size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return Malformed("header line without name");
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), [](unsigned char c) { return IsTokenChar(c); })) {
      return Malformed("bad header name '" + std::string(name.substr(0, 64)) + "'");
    }
    const std::string_view value = TrimOws(line.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(),
                    [](unsigned char c) { return c == '\0' || c == '\r' || c == '\n'; })) {
      return Malformed("control character in header " + std::string(name));
    }
    head.headers.emplace_back(std::string(name), std::string(value));
  }
  head.size = bytes.size() - rest.size();
  if (head.size > max_bytes) {
    return Error{Errc::kHeaderTooLarge,
                 "request header over " + std::to_string(max_bytes) + " bytes"};
  }
  return head;
}

Result<BodyFraming> ParseFraming(const RequestHead& head) {
  BodyFraming f;
  int lengths = 0, encodings = 0;
  std::string_view length, encoding;
  for (const auto& [name, value] : head.headers) {
    if (EqualsIgnoreCase(name, "Content-Length")) {
      ++lengths;
      length = value;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      ++encodings;
      encoding = value;
    }
  }
  if (lengths > 1) return Malformed("more than one Content-Length header");
  if (encodings > 1) return Malformed("more than one Transfer-Encoding header");
  if (lengths && encodings) return Malformed("both Content-Length and Transfer-Encoding");
  if (encodings) {
    if (!EqualsIgnoreCase(encoding, "chunked")) {
      return Malformed("only the chunked Transfer-Encoding is supported");
    }
    if (head.http10) return Malformed("Transfer-Encoding in an HTTP/1.0 request");
    f.kind = BodyFraming::kChunked;
  } else if (lengths) {
    auto n = ParseLength(length);
    if (!n) return n.error();
    f.kind = BodyFraming::kLength;
    f.length = *n;
  }
  return f;
}

}  // namespace fsvc
