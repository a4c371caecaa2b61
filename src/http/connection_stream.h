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
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdint>

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
  ConnectionStream(Connection& conn, const StreamTimeouts& timeouts, StreamCounters& counters)
      : conn_(conn), timeouts_(timeouts), counters_(counters) {}

  // The header has been parsed: reads now get the per-read body timeout.
  void BeginBody() { in_header_ = false; }

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

  Connection& conn_;
  const StreamTimeouts& timeouts_;
  StreamCounters& counters_;
  bool in_header_ = true;
};

}  // namespace fsvc
