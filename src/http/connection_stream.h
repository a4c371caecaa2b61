// Reads and writes on a Connection, with deadlines instead of blocking I/O.
//
// Reads first drain the connection's read-ahead buffer. While the header is
// read, every read must finish by the connection's absolute header deadline
// (a client trickling header bytes is cut off there); after BeginBody() each
// read may wait at most read_timeout for the next bytes. Every write may wait
// at most write_timeout for the peer to make room: a client that keeps
// reading is served at its own pace, with nothing buffered beyond the
// caller's chunk and the kernel's socket buffer, and one that stops reading
// (takes no byte for write_timeout) is dropped.
//
// Small writes are gathered until Flush() (or the next read, or a write that
// would overflow kCoalesceBytes): a response's header block and a small body
// leave in one send, and two sends would cost a second packet and wake the
// client twice. A file body skips user space: SendFile() moves its bytes
// from the page cache to the socket with sendfile(2), after the gathered
// header block (in the same segment). Over TLS the file is read and
// encrypted in 64 KiB chunks instead, and every read and write goes through
// the connection's TLS session.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/connection.h"

namespace fsvc {

struct StreamTimeouts {
  std::chrono::milliseconds read{30000};
  std::chrono::milliseconds write{60000};
};

// Counters the streams of all connections add to.
struct StreamCounters {
  std::atomic<uint64_t> header_timeouts{0};
  std::atomic<uint64_t> read_timeouts{0};
  std::atomic<uint64_t> write_timeouts{0};
};

class ConnectionStream {
 public:
  ConnectionStream(Connection& conn, const StreamTimeouts& timeouts, StreamCounters& counters);
  ~ConnectionStream() = default;
  ConnectionStream(const ConnectionStream&) = delete;
  ConnectionStream& operator=(const ConnectionStream&) = delete;

  static constexpr size_t kCoalesceBytes = 16 * 1024;

  // The header has been parsed: reads now get the per-read body timeout.
  void BeginBody() { in_header_ = false; }
  // Sends what Write() gathered; false when the peer cannot take it.
  bool Flush();

  // Up to `size` bytes of the request; 0 at the end of the stream, -1 on an
  // error or timeout.
  long Read(char* ptr, size_t size);
  // Sends (or gathers) `bytes`; false on an error or write timeout.
  bool Write(std::string_view bytes);
  // Sends bytes [offset, offset + length) of `fd` after what was gathered;
  // false on an error, a write timeout, or a file shorter than promised.
  bool SendFile(int fd, uint64_t offset, uint64_t length);

 private:
  // Waits for `events` on the socket until the current deadline; false on
  // timeout, error or hang-up.
  bool WaitFor(short events, std::chrono::milliseconds budget) const;
  std::chrono::milliseconds ReadBudget() const;
  // Waits until the socket takes more bytes; false once the peer has taken
  // none for write_timeout.
  bool WaitWritable() const;
  // Sends `pending_` and then `size` bytes at `ptr` (one segment for both
  // when they fit) and empties pending_; false on error or write timeout.
  bool SendAll(const char* ptr, size_t size, int flags = 0);
  // SendFile and a send over TLS.
  bool SendFileTls(int fd, uint64_t offset, uint64_t length);
  bool SendTls(const char* ptr, size_t size);

  Connection& conn_;
  const StreamTimeouts& timeouts_;
  StreamCounters& counters_;
  bool in_header_ = true;
  std::string pending_;
};

}  // namespace fsvc
