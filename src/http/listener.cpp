#include "http/listener.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

namespace fsvc {
namespace {

// How long Accept() waits for descriptors to come free before it retries.
constexpr int kOutOfFdsWaitMs = 10;

Error SystemError(const std::string& what) {
  return Error{Errc::kInternal, what + ": " + std::strerror(errno)};
}

}  // namespace

Result<int> Listener::Bind(const std::string& host, int port, int backlog) {
  wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_.valid()) return SystemError("eventfd");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc =
          ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
      rc != 0) {
    return Error{Errc::kUnavailable, "cannot resolve " + host + ": " + ::gai_strerror(rc)};
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
  const std::string where = host + ":" + service;
  Error last{Errc::kUnavailable, "cannot bind " + where};
  for (const addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
    UniqueFd fd(
        ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
    if (!fd.valid()) continue;
    // A restart must not wait for the previous process's TIME_WAIT sockets.
    const int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(fd.get(), a->ai_addr, a->ai_addrlen) != 0) {
      last = Error{Errc::kUnavailable, "cannot bind " + where + " (" + std::strerror(errno) + ")"};
      continue;
    }
    if (::listen(fd.get(), backlog) != 0) return SystemError("listen on " + where);
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
      return SystemError("getsockname");
    }
    const uint16_t net_port = bound.ss_family == AF_INET6
                                  ? reinterpret_cast<const sockaddr_in6&>(bound).sin6_port
                                  : reinterpret_cast<const sockaddr_in&>(bound).sin_port;
    socket_ = std::move(fd);
    return static_cast<int>(ntohs(net_port));
  }
  return last;
}

Status Listener::Accept(const std::function<void(UniqueFd)>& on_accept) {
  pollfd fds[2] = {{socket_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
  Status result = OkStatus();
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      result = SystemError("poll");
      break;
    }
    if (fds[1].revents != 0) {  // Stop()
      // Reading the count, not just seeing it in poll(), orders Stop()'s write
      // before the teardown that follows here (ThreadSanitizer sees that too).
      uint64_t count = 0;
      [[maybe_unused]] const ssize_t n = ::read(wake_.get(), &count, sizeof count);
      break;
    }
    bool out_of_fds = false;
    for (;;) {
      UniqueFd conn(::accept4(socket_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (conn.valid()) {
        on_accept(std::move(conn));
        continue;
      }
      out_of_fds = errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM;
      break;  // EAGAIN, or a connection that failed before it was taken (ECONNABORTED)
    }
    if (out_of_fds) ::poll(&fds[1], 1, kOutOfFdsWaitMs);
  }
  socket_.reset();
  return result;
}

void Listener::Stop() {
  if (!wake_.valid()) return;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof one);
}

}  // namespace fsvc
