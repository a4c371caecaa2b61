#include "http/response_writer.h"

#include <string_view>

namespace fsvc {
namespace {

std::string_view Reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 507:
      return "Insufficient Storage";
    default:
      return status < 400 ? "OK" : "Error";
  }
}

bool HasBody(int status) {
  return status >= 200 && status != 204 && status != 304;
}

}  // namespace

std::string ResponseHead(const Response& res, bool close) {
  std::string out;
  out.reserve(256);
  out.append("HTTP/1.1 ").append(std::to_string(res.status)).append(" ");
  out.append(Reason(res.status)).append("\r\n");
  for (const auto& [k, v] : res.headers()) out.append(k).append(": ").append(v).append("\r\n");
  if (!res.content_type().empty()) {
    out.append("Content-Type: ").append(res.content_type()).append("\r\n");
  }
  if (HasBody(res.status)) {
    out.append("Content-Length: ").append(std::to_string(res.body_length())).append("\r\n");
  }
  out.append("X-Content-Type-Options: nosniff\r\n");
  out.append(close ? "Connection: close\r\n\r\n" : "\r\n");
  return out;
}

bool WriteResponse(ConnectionStream& stream, const Response& res, bool head_request, bool close) {
  const std::string head = ResponseHead(res, close);
  if (!stream.Write(head)) return false;
  if (head_request || !HasBody(res.status)) return true;
  if (const Response::FileBody* file = res.file()) {
    return stream.SendFile(file->fd, file->offset, file->length);
  }
  if (const Response::StreamBody* body = res.stream()) {
    uint64_t sent = 0;
    const Status produced = body->produce([&](std::string_view chunk) -> Status {
      sent += chunk.size();
      if (sent > body->length) return Error{Errc::kInternal, "stream body over its length"};
      if (!stream.Write(chunk)) return Error{Errc::kUnavailable, "client gone"};
      return OkStatus();
    });
    return produced.ok() && sent == body->length;
  }
  return stream.Write(res.body());
}

}  // namespace fsvc
