#include "raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

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

}  // namespace fsvc::testing
