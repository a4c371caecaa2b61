#include "http/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace fsvc {
namespace {

// OpenSSL's reason for the last failure (its error queue is per thread).
std::string LastError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

Result<std::unique_ptr<TlsContext>> TlsContext::Load(const std::string& cert_file,
                                                     const std::string& key_file) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Error{Errc::kInternal, "TLS: " + LastError()};
  auto owned = std::make_unique<TlsContext>(ctx);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // No renegotiation (a client could make the server redo handshakes at will),
  // our cipher order over the client's, a peer that closes without
  // close_notify is an ordinary EOF (HTTP frames its own bodies).
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
  // Idle keep-alive connections give their 2 x ~17 KiB record buffers back.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return Error{Errc::kInvalidArgument,
                 "TLS_CERT_FILE " + cert_file + " does not load: " + LastError()};
  }
  const bool key_loaded = SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) == 1;
  // A key that loads but belongs to another certificate fails here already.
  if (!key_loaded && ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
    return Error{Errc::kInvalidArgument,
                 "TLS_KEY_FILE " + key_file + " does not load: " + LastError()};
  }
  if (!key_loaded || SSL_CTX_check_private_key(ctx) != 1) {
    return Error{Errc::kInvalidArgument, "TLS_KEY_FILE " + key_file +
                                             " does not match TLS_CERT_FILE " + cert_file + ": " +
                                             LastError()};
  }
  return owned;
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

std::unique_ptr<TlsSession> TlsContext::NewSession(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  auto session = std::make_unique<TlsSession>(ssl);
  if (SSL_set_fd(ssl, fd) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return session;
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);
}

long TlsSession::Failed(int ret) {
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
      wants_write_ = false;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      wants_write_ = true;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    default:
      ERR_clear_error();
      errno = EIO;
      return -1;
  }
}

TlsStep TlsSession::Handshake() {
  if (!first_byte_seen_) {
    // Peeked before OpenSSL takes anything: a plain HTTP client is told so
    // in plain HTTP (as nginx does) rather than reset with no reason given.
    char first = 0;
    const ssize_t n = ::recv(SSL_get_fd(ssl_), &first, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return TlsStep::kWantRead;
    if (n <= 0) return TlsStep::kFailed;
    first_byte_seen_ = true;
    if (first >= 'A' && first <= 'Z') return TlsStep::kPlainHttp;
  }
  ERR_clear_error();
  const int ret = SSL_do_handshake(ssl_);
  if (ret == 1) {
    established_ = true;
    wants_write_ = false;
    return TlsStep::kDone;
  }
  if (Failed(ret) < 0 && errno == EAGAIN) {
    return wants_write_ ? TlsStep::kWantWrite : TlsStep::kWantRead;
  }
  return TlsStep::kFailed;
}

long TlsSession::Read(char* ptr, size_t size) {
  ERR_clear_error();
  const int ret = SSL_read(ssl_, ptr, static_cast<int>(std::min<size_t>(size, INT_MAX)));
  if (ret > 0) {
    wants_write_ = false;
    return ret;
  }
  return Failed(ret);
}

long TlsSession::Write(const char* ptr, size_t size) {
  ERR_clear_error();
  const int ret = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, INT_MAX)));
  if (ret > 0) {
    wants_write_ = false;
    return ret;
  }
  const long failed = Failed(ret);
  // A write never ends cleanly: the peer's close_notify means it is gone.
  if (failed == 0) errno = EPIPE;
  return failed == 0 ? -1 : failed;
}

bool TlsSession::HasPending() const {
  return SSL_has_pending(ssl_) == 1;
}

void TlsSession::Shutdown() {
  if (!established_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace fsvc
