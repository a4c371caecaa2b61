// httplib::Stream over a Connection, with deadlines instead of blocking I/O.
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
// would overflow kCoalesceBytes): httplib writes a response's header block
// and its body separately, and two sends cost a second packet and wake the
// client twice.
//
// A file body can skip user space: after TakeNextWriteFromFile(fd, offset),
// the next write() sends its bytes from the file with sendfile(2) (the
// caller's buffer is not read), so httplib's content provider still drives
// the response, counts its bytes and sees its errors.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

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

class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(Connection& conn, const StreamTimeouts& timeouts, StreamCounters& counters);
  ~ConnectionStream() override;
  ConnectionStream(const ConnectionStream&) = delete;
  ConnectionStream& operator=(const ConnectionStream&) = delete;

  static constexpr size_t kCoalesceBytes = 16 * 1024;

  // The header has been parsed: reads now get the per-read body timeout.
  void BeginBody() { in_header_ = false; }
  // Sends what write() gathered; false when the peer cannot take it.
  bool Flush();
  // The stream the calling thread serves a request on, else null.
  static ConnectionStream* Current();
  // The next write() of n bytes sends bytes [offset, offset + n) of `fd`.
  void TakeNextWriteFromFile(int fd, uint64_t offset) {
    file_fd_ = fd;
    file_offset_ = offset;
  }

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return conn_.fd(); }

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
  // Sends `size` bytes of file_fd_ from file_offset_ after pending_.
  bool SendFromFile(size_t size);

  Connection& conn_;
  const StreamTimeouts& timeouts_;
  StreamCounters& counters_;
  bool in_header_ = true;
  std::string pending_;
  int file_fd_ = -1;
  uint64_t file_offset_ = 0;
};

}  // namespace fsvc
