// Raw HTTP over a TCP socket for tests that must send exactly the bytes they
// mean (malformed requests, bodies cut short), which no HTTP client would.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "util/unique_fd.h"

namespace fsvc::testing {

struct RawReply {
  int status = 0;    // of the first response; 0 if none came
  std::string text;  // everything received
};

// A connected socket to 127.0.0.1:port with 10 s send/receive timeouts
// (invalid if the connection failed).
UniqueFd ConnectRaw(int port);

// Sends `bytes` while reading whatever the server answers (so an early
// answer is not lost when the server stops reading), then half-closes (the
// server sees the end of the request at once instead of waiting for its read
// timeout) and reads until the server closes or 10 s pass.
RawReply SendRaw(int port, std::string_view bytes);

// One response as it came over the wire.
struct HttpResponse {
  int status = 0;
  std::string head;  // the status line and the header lines, CRLFs included
  std::string body;  // decoded when it came chunked
  // The first value of header `name` (case-insensitive), "" when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // error.code of a JSON error envelope, "" when the body is none.
  std::string ErrorCode() const;
};

// Parses one complete response at the start of `text`. `no_body`: the answer
// to a HEAD request (1xx, 204 and 304 never have one either). `at_eof`: the
// server has closed, so a body without length runs to the end. Returns the
// bytes the response took, 0 while it is incomplete.
size_t ParseResponse(std::string_view text, bool no_body, bool at_eof, HttpResponse& out);

// A connection that keeps its socket open between writes and reads, so a
// test can see what the server does with the connection itself: whether it
// answers before the body has been sent, sends "100 Continue", or closes
// after a response (which a half-close, as SendRaw does, would hide).
class RawConnection {
 public:
  using Ms = std::chrono::milliseconds;
  explicit RawConnection(int port);

  bool connected() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }

  // Sends `bytes` while buffering whatever arrives meanwhile. False when not
  // all of them went out: the server closed or reset the connection (which
  // may be the behaviour under test) or `timeout` passed.
  bool Send(std::string_view bytes, Ms timeout = Ms(10000));
  // Sends without waiting: as much as the socket takes now. Returns the
  // bytes sent (0 when none could be; -1 once the connection is gone).
  long SendSome(std::string_view bytes);
  // The next response (a "100 Continue" counts as one), waiting at most
  // `timeout`; nothing when none completed before the server closed or the
  // time ran out.
  std::optional<HttpResponse> Read(Ms timeout, bool head_request = false);
  // Waits at most `timeout` for the server to close the connection (EOF or
  // reset); true when it did. Bytes arriving meanwhile stay in unread().
  bool WaitClosed(Ms timeout);
  // Takes in whatever has arrived, without waiting.
  void Pump();

  bool peer_closed() const { return eof_; }
  // Received but not yet returned by Read().
  const std::string& unread() const { return buf_; }
  // Everything received on this connection.
  const std::string& received() const { return all_; }
  void ShutdownWrite();
  void Close() { fd_.reset(); }

 private:
  // Waits at most timeout_ms for bytes; false on timeout.
  bool ReadSome(int timeout_ms);

  UniqueFd fd_;
  std::string buf_;
  std::string all_;
  bool eof_ = false;
};

// Counts the HTTP/1.x status lines in `text` (each response, interim ones
// included, starts with one).
size_t CountStatusLines(std::string_view text);

}  // namespace fsvc::testing
