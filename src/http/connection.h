// One client connection: its socket, the bytes read ahead of the HTTP parser,
// and the deadline the request now being read must meet.
//
// A connection is owned by exactly one party at a time (the reactor while it
// waits for a request, a pool thread while a request is served); the
// shared_ptr only carries it between them. The read-ahead buffer exists only
// while a request is partly buffered, so an idle keep-alive connection costs
// a few hundred bytes, not a buffer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/tls.h"
#include "util/unique_fd.h"

namespace fsvc {

using SteadyClock = std::chrono::steady_clock;

class Connection {
 public:
  // Read-ahead capacity; also the most header bytes the reactor gathers
  // before handing a request to a thread.
  static constexpr size_t kBufferSize = 16 * 1024;

  // Counts itself in `open` (if given) for as long as it lives. With `tls`,
  // every byte goes through that session (whose handshake the reactor runs).
  Connection(UniqueFd fd, std::atomic<uint64_t>* open, std::unique_ptr<TlsSession> tls = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_.get(); }
  const std::string& remote_ip() const { return remote_ip_; }
  int remote_port() const { return remote_port_; }
  const std::string& local_ip() const { return local_ip_; }
  int local_port() const { return local_port_; }

  // Null on a plain connection.
  TlsSession* tls() const { return tls_.get(); }
  // True when the transport must be able to write before it can go on
  // (a TLS session may need to send while it reads).
  bool WantsWrite() const { return tls_ && tls_->wants_write(); }

  // The transport, as recv/send with MSG_DONTWAIT: bytes moved, 0 at EOF,
  // -1 with errno (EAGAIN: not ready; on TLS, WantsWrite() says for what).
  long Recv(char* ptr, size_t size);
  long Send(const char* ptr, size_t size);

  size_t buffered() const { return end_ - begin_; }
  // True when the buffer holds the end of a request's header block.
  bool HasCompleteHeader() const;
  // True when no more header bytes fit.
  bool BufferFull() const { return buffer_ && begin_ == 0 && end_ == kBufferSize; }
  // One non-blocking recv into the buffer: bytes read, 0 at EOF, -1 with
  // errno (EAGAIN: nothing yet). On TLS it also takes what OpenSSL already
  // holds, as far as the buffer goes.
  long Fill();
  // Moves bytes OpenSSL holds into the buffer: epoll cannot see them, so a
  // connection is parked only once they are out.
  void TakeTlsPending();
  // Copies buffered bytes out; returns how many.
  size_t TakeBuffered(char* out, size_t size);
  // The bytes read ahead and not yet taken.
  std::string_view Buffered() const;
  // Drops the first n buffered bytes (a header block that has been parsed).
  void Discard(size_t n);
  // Puts bytes read past a body's end back in front of the buffer; false
  // when they do not fit.
  bool Unread(std::string_view bytes);
  // Frees the buffer once it is empty.
  void ReleaseIdleBuffer();
  // Sends FIN and discards what the peer already sent, so that the close
  // that follows does not reset the connection (a reset can destroy a
  // response the client has not read yet).
  void FinishWrites();

  // The absolute deadline for the rest of the current request's header.
  SteadyClock::time_point header_deadline{};
  size_t requests_served = 0;

 private:
  UniqueFd fd_;
  std::unique_ptr<TlsSession> tls_;
  std::atomic<uint64_t>* open_;
  std::string remote_ip_;
  int remote_port_ = 0;
  std::string local_ip_;
  int local_port_ = 0;
  std::unique_ptr<char[]> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace fsvc
