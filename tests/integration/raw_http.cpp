#include "raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace fsvc::testing {
UniqueFd ConnectRaw(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fd;
  timeval tv{10, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fd.reset();
  return fd;
}

RawReply SendRaw(int port, std::string_view bytes) {
  RawReply reply;
  UniqueFd fd = ConnectRaw(port);
  if (!fd.valid()) return reply;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  size_t sent = 0;
  bool sending = true;
  char buf[16384];
  while (std::chrono::steady_clock::now() < deadline) {
    if (sending && sent == bytes.size()) {
      ::shutdown(fd.get(), SHUT_WR);
      sending = false;
    }
    pollfd p{fd.get(), static_cast<short>(POLLIN | (sending ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, 100) < 0) break;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::recv(fd.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        reply.text.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) break;  // closed or reset
    }
    if (sending && (p.revents & POLLOUT)) {
      // The server may answer and stop reading before the end: a failed
      // send is part of the behaviour under test, not an error.
      const ssize_t n =
          ::send(fd.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        sending = false;
      }
    }
  }
  if (reply.text.rfind("HTTP/1.1 ", 0) == 0) reply.status = std::atoi(reply.text.c_str() + 9);
  return reply;
}

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Decodes a chunked body at the start of `text`; its size on the wire, 0
// while incomplete (or malformed: the test then sees no response).
size_t DecodeChunked(std::string_view text, std::string& body) {
  size_t at = 0;
  body.clear();
  for (;;) {
    const size_t eol = text.find("\r\n", at);
    if (eol == std::string_view::npos) return 0;
    const std::string size_line(text.substr(at, eol - at));
    char* end = nullptr;
    const unsigned long long n = std::strtoull(size_line.c_str(), &end, 16);
    if (end == size_line.c_str()) return 0;
    at = eol + 2;
    if (n == 0) {
      // Trailers, then the empty line.
      for (;;) {
        const size_t t = text.find("\r\n", at);
        if (t == std::string_view::npos) return 0;
        const bool last = t == at;
        at = t + 2;
        if (last) return at;
      }
    }
    if (text.size() < at + n + 2) return 0;
    body.append(text.substr(at, n));
    at += n + 2;
  }
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  std::string_view rest = head;
  const size_t first = rest.find("\r\n");
  if (first == std::string_view::npos) return "";
  rest.remove_prefix(first + 2);
  while (!rest.empty()) {
    const size_t eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IEquals(line.substr(0, colon), name)) continue;
    std::string_view v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return std::string(v);
  }
  return "";
}

bool HttpResponse::HasHeader(std::string_view name) const {
  std::string_view rest = head;
  while (!rest.empty()) {
    const size_t eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 2);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && IEquals(line.substr(0, colon), name)) return true;
  }
  return false;
}

std::string HttpResponse::ErrorCode() const {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object() ||
      !j["error"].contains("code") || !j["error"]["code"].is_string()) {
    return "";
  }
  return j["error"]["code"].get<std::string>();
}

size_t ParseResponse(std::string_view text, bool no_body, bool at_eof, HttpResponse& out) {
  const size_t end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) return 0;
  HttpResponse r;
  r.head = std::string(text.substr(0, end + 2));
  if (r.head.rfind("HTTP/1.", 0) != 0 || r.head.size() < 12) return 0;
  r.status = std::atoi(r.head.c_str() + 9);
  size_t at = end + 4;
  const bool bodiless =
      no_body || (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
  if (!bodiless) {
    const std::string te = r.Header("Transfer-Encoding");
    if (IEquals(te, "chunked")) {
      const size_t n = DecodeChunked(text.substr(at), r.body);
      if (n == 0) return 0;
      at += n;
    } else if (r.HasHeader("Content-Length")) {
      const size_t n = std::strtoull(r.Header("Content-Length").c_str(), nullptr, 10);
      if (text.size() < at + n) return 0;
      r.body = std::string(text.substr(at, n));
      at += n;
    } else {
      // Delimited by the close.
      if (!at_eof) return 0;
      r.body = std::string(text.substr(at));
      at = text.size();
    }
  }
  out = std::move(r);
  return at;
}

RawConnection::RawConnection(int port) : fd_(ConnectRaw(port)) {}

bool RawConnection::ReadSome(int timeout_ms) {
  if (eof_ || !fd_.valid()) return false;
  pollfd p{fd_.get(), POLLIN, 0};
  if (::poll(&p, 1, std::max(0, timeout_ms)) <= 0) return false;
  char buf[65536];
  const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
  if (n > 0) {
    buf_.append(buf, static_cast<size_t>(n));
    all_.append(buf, static_cast<size_t>(n));
    return true;
  }
  if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) eof_ = true;
  return n == 0 || eof_;
}

void RawConnection::Pump() {
  while (ReadSome(0)) {
  }
}

long RawConnection::SendSome(std::string_view bytes) {
  if (!fd_.valid() || eof_) return -1;
  const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n >= 0) return static_cast<long>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
  return -1;
}

bool RawConnection::Send(std::string_view bytes, Ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t sent = 0;
  while (sent < bytes.size() && fd_.valid() && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_.get(), static_cast<short>(POLLIN | POLLOUT), 0};
    if (::poll(&p, 1, 100) < 0) return false;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      ReadSome(0);
      if (eof_) return false;
    }
    if (p.revents & POLLOUT) {
      // The server may answer and stop reading before the end: a failed
      // send is part of the behaviour under test, not an error.
      const long n = SendSome(bytes.substr(sent));
      if (n < 0) return false;
      sent += static_cast<size_t>(n);
    }
  }
  return sent == bytes.size();
}

std::optional<HttpResponse> RawConnection::Read(Ms timeout, bool head_request) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    HttpResponse r;
    if (const size_t n = ParseResponse(buf_, head_request, eof_, r); n > 0) {
      buf_.erase(0, n);
      return r;
    }
    const auto left = std::chrono::duration_cast<Ms>(deadline - std::chrono::steady_clock::now());
    if (eof_ || left.count() <= 0) return std::nullopt;
    ReadSome(static_cast<int>(std::min<long>(left.count(), 100)));
  }
}

bool RawConnection::WaitClosed(Ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!eof_) {
    const auto left = std::chrono::duration_cast<Ms>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    ReadSome(static_cast<int>(std::min<long>(left.count(), 100)));
  }
  return eof_;
}

void RawConnection::ShutdownWrite() {
  if (fd_.valid()) ::shutdown(fd_.get(), SHUT_WR);
}

size_t CountStatusLines(std::string_view text) {
  size_t n = 0;
  for (size_t at = 0; at < text.size();) {
    if (text.substr(at, 7) == "HTTP/1." && text.size() > at + 9 && text[at + 8] == ' ') ++n;
    const size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  return n;
}

}  // namespace fsvc::testing
