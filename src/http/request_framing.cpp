#include "http/request_framing.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "http/error_response.h"

namespace fsvc {
namespace {

bool AllDigits(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool IsChunked(std::string value) {
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return value == "chunked";
}

const char* FramingProblem(const httplib::Request& req) {
  const size_t lengths = req.get_header_value_count("Content-Length");
  const size_t encodings = req.get_header_value_count("Transfer-Encoding");
  if (lengths > 1) return "more than one Content-Length header";
  if (lengths == 1 && !AllDigits(req.get_header_value("Content-Length"))) {
    return "Content-Length is not a number";
  }
  if (encodings > 1) return "more than one Transfer-Encoding header";
  if (encodings == 1 && !IsChunked(req.get_header_value("Transfer-Encoding"))) {
    return "only the chunked Transfer-Encoding is supported";
  }
  if (encodings == 1 && lengths == 1) return "both Content-Length and Transfer-Encoding";
  return nullptr;
}

}  // namespace

bool RejectAmbiguousFraming(const httplib::Request& req, httplib::Response& res) {
  const char* problem = FramingProblem(req);
  if (!problem) return false;
  res.set_header("Connection", "close");
  SendError(res, {Errc::kInvalidArgument, std::string("ambiguous request framing: ") + problem});
  return true;
}

}  // namespace fsvc
