// TLS for the service's own connection layer (OpenSSL), as a transport a
// Connection may carry instead of plain socket I/O.
//
// TlsContext holds the server's certificate and key (one SSL_CTX for the
// process: TLS 1.2+, the server's cipher order, session tickets on).
// TlsSession is one connection's SSL object over a non-blocking socket: no
// call ever waits; each reports whether it wants the socket readable or
// writable, and the caller waits (the reactor during the handshake, a
// ConnectionStream with its deadlines while a request is served). OpenSSL
// types stay in tls.cpp.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "util/error.h"

struct ssl_ctx_st;
struct ssl_st;

namespace fsvc {

class TlsSession;

class TlsContext {
 public:
  // Loads a PEM certificate chain and its private key; an error (naming the
  // file and OpenSSL's reason) when either does not load or they do not match.
  static Result<std::unique_ptr<TlsContext>> Load(const std::string& cert_file,
                                                  const std::string& key_file);
  // Takes ownership of `ctx`.
  explicit TlsContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A server-side session on `fd` (which stays owned by the caller); null
  // when OpenSSL cannot allocate one.
  std::unique_ptr<TlsSession> NewSession(int fd) const;

 private:
  ssl_ctx_st* ctx_;
};

// kPlainHttp: the client's first byte is an HTTP method's letter, never a
// TLS record's type: it sent plain HTTP to this port.
enum class TlsStep { kDone, kWantRead, kWantWrite, kFailed, kPlainHttp };

class TlsSession {
 public:
  // Takes ownership of `ssl`.
  explicit TlsSession(ssl_st* ssl) : ssl_(ssl) {}
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  bool established() const { return established_; }
  // One non-blocking step of the server handshake.
  TlsStep Handshake();
  // Like recv/send with MSG_DONTWAIT: bytes moved; 0 at the peer's
  // close_notify or EOF (Read only); -1 with errno EAGAIN when the socket
  // must become ready first (wants_write() says which way), else EIO.
  // A Write that returned EAGAIN must be repeated with the same bytes.
  long Read(char* ptr, size_t size);
  long Write(const char* ptr, size_t size);
  // True when the last call stopped because the socket must take bytes.
  bool wants_write() const { return wants_write_; }
  // Decrypted or received bytes held inside OpenSSL: invisible to epoll.
  bool HasPending() const;
  // Sends close_notify if it fits now; never waits for the peer's.
  void Shutdown();

 private:
  // Maps a failed call's result to errno; -1, or 0 at a clean end.
  long Failed(int ret);

  ssl_st* ssl_;
  bool established_ = false;
  bool wants_write_ = false;
  bool first_byte_seen_ = false;
};

}  // namespace fsvc
