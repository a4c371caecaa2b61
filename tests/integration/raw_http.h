// Raw HTTP over a TCP socket for tests that must send exactly the bytes they
// mean (malformed requests, bodies cut short), which no HTTP client would.
#pragma once

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

}  // namespace fsvc::testing
