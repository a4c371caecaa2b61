#include "http/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace fsvc {

namespace {

// The address of one end of a socket (peer or own) as text and port.
void Endpoint(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len)) != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  ip = text;
}

}  // namespace

Connection::Connection(UniqueFd fd, std::atomic<uint64_t>* open, std::unique_ptr<TlsSession> tls)
    : fd_(std::move(fd)), tls_(std::move(tls)), open_(open) {
  if (open_) open_->fetch_add(1, std::memory_order_relaxed);
  Endpoint(fd_.get(), true, remote_ip_, remote_port_);
  Endpoint(fd_.get(), false, local_ip_, local_port_);
}

Connection::~Connection() {
  if (open_) open_->fetch_sub(1, std::memory_order_relaxed);
}

bool Connection::HasCompleteHeader() const {
  if (!buffer_) return false;
  const std::string_view data(buffer_.get() + begin_, end_ - begin_);
  // "\n\r\n" ends a CRLF header block, "\n\n" a bare-LF one.
  return data.find("\n\r\n") != std::string_view::npos ||
         data.find("\n\n") != std::string_view::npos;
}

long Connection::Recv(char* ptr, size_t size) {
  if (tls_) return tls_->Read(ptr, size);
  return static_cast<long>(::recv(fd_.get(), ptr, size, MSG_DONTWAIT));
}

long Connection::Send(const char* ptr, size_t size) {
  if (tls_) return tls_->Write(ptr, size);
  return static_cast<long>(::send(fd_.get(), ptr, size, MSG_DONTWAIT | MSG_NOSIGNAL));
}

void Connection::TakeTlsPending() {
  if (tls_ && tls_->HasPending()) Fill();
}

long Connection::Fill() {
  if (!buffer_) {
    buffer_ = std::make_unique_for_overwrite<char[]>(kBufferSize);
    begin_ = end_ = 0;
  }
  if (begin_ == end_) begin_ = end_ = 0;
  if (end_ == kBufferSize && begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == kBufferSize) {
    errno = ENOBUFS;
    return -1;
  }
  long n = Recv(buffer_.get() + end_, kBufferSize - end_);
  if (n > 0) end_ += static_cast<size_t>(n);
  // SSL_read returns one record at a time; the next may already be inside OpenSSL.
  while (n > 0 && tls_ && tls_->HasPending() && end_ < kBufferSize) {
    const long more = Recv(buffer_.get() + end_, kBufferSize - end_);
    if (more <= 0) break;
    end_ += static_cast<size_t>(more);
    n += more;
  }
  return n;
}

size_t Connection::TakeBuffered(char* out, size_t size) {
  const size_t n = std::min(size, end_ - begin_);
  if (n > 0) std::memcpy(out, buffer_.get() + begin_, n);
  begin_ += n;
  return n;
}

std::string_view Connection::Buffered() const {
  return buffer_ ? std::string_view(buffer_.get() + begin_, end_ - begin_) : std::string_view();
}

void Connection::Discard(size_t n) {
  begin_ += std::min(n, end_ - begin_);
}

bool Connection::Unread(std::string_view bytes) {
  if (bytes.empty()) return true;
  if (bytes.size() + (end_ - begin_) > kBufferSize) return false;
  if (!buffer_) {
    buffer_ = std::make_unique_for_overwrite<char[]>(kBufferSize);
    begin_ = end_ = 0;
  }
  if (begin_ < bytes.size()) {
    std::memmove(buffer_.get() + bytes.size(), buffer_.get() + begin_, end_ - begin_);
    end_ = bytes.size() + (end_ - begin_);
    begin_ = bytes.size();
  }
  begin_ -= bytes.size();
  std::memcpy(buffer_.get() + begin_, bytes.data(), bytes.size());
  return true;
}

void Connection::ReleaseIdleBuffer() {
  if (begin_ == end_) {
    buffer_.reset();
    begin_ = end_ = 0;
  }
}

void Connection::FinishWrites() {
  if (tls_) tls_->Shutdown();
  ::shutdown(fd_.get(), SHUT_WR);
  char sink[4096];
  while (::recv(fd_.get(), sink, sizeof sink, MSG_DONTWAIT) > 0) {
  }
}

}  // namespace fsvc
