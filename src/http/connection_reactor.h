// Holds connections that are waiting for a request, without a thread each.
//
// One epoll set holds every idle keep-alive connection and every connection
// whose request header is still arriving. Poll(), called by one thread at a
// time (a pool thread with nothing else to do), reads header bytes as they
// come (without blocking) and hands a connection on through `on_request`
// only once a whole header block is buffered, so neither an idle client nor
// one trickling header bytes (slowloris) ever holds a pool thread. Each
// watched connection has a deadline: the header deadline while a request is
// arriving, the keep-alive idle timeout between requests; it is closed when
// the deadline passes, when the peer closes, or on Stop(). A TLS
// connection's handshake runs here too, non-blocking, within its first
// header deadline.
//
// Refuse() answers a connection with a canned 503 (Retry-After) without
// blocking and closes it: the fast refusal for overload (a TLS connection
// that has not finished its handshake gets kRefusalHandshakeTimeout to do
// so first). Plain HTTP sent to a TLS port is answered 400 https_required
// in plain text. Close() ends a connection without resetting it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "http/connection.h"
#include "util/error.h"
#include "util/mutex.h"
#include "util/unique_fd.h"

namespace fsvc {

class ConnectionReactor {
 public:
  using Handoff = std::function<void(std::shared_ptr<Connection>)>;
  struct Options {
    std::chrono::milliseconds header_timeout{10000};
    std::chrono::milliseconds idle_timeout{5000};
  };
  struct Figures {
    uint64_t watched = 0;          // connections waiting now
    uint64_t header_timeouts = 0;  // closed mid-header by the deadline
    uint64_t idle_closes = 0;      // keep-alive connections closed idle
    uint64_t refused = 0;          // answered 503 by Refuse()
    uint64_t tls_failures = 0;     // TLS handshakes that failed (plain HTTP included)
  };

  ConnectionReactor(Options options, Handoff on_request);
  ~ConnectionReactor();
  ConnectionReactor(const ConnectionReactor&) = delete;
  ConnectionReactor& operator=(const ConnectionReactor&) = delete;

  Status Start();
  // Waits up to timeout_ms for readable connections and handles them, then
  // closes those whose deadline has passed. Not reentrant: one caller at a
  // time. After Stop() it returns at once.
  void Poll(int timeout_ms);
  // Closes every watched connection and ends a Poll() in progress; Watch()
  // closes what it is given from then on.
  void Stop();

  // A new connection: its first request header is due within header_timeout.
  void WatchNew(std::shared_ptr<Connection> conn);
  // A connection between requests (or with part of a header buffered).
  void WatchIdle(std::shared_ptr<Connection> conn);
  void Refuse(std::shared_ptr<Connection> conn);
  // Closes a connection gracefully: FIN now, then what the client still
  // sends (say, an upload body nobody will read) is discarded until it
  // closes too or kDrainTimeout passes. Closing at once would reset the
  // connection, which can destroy the response before the client reads it.
  void Close(std::shared_ptr<Connection> conn);

  Figures Snapshot() const;

 private:
  // kRefusal: a refused TLS connection finishing its handshake to take its 503.
  enum class Wait { kIdle, kHeader, kDrain, kRefusal };
  void Arm(std::shared_ptr<Connection> conn, SteadyClock::time_point deadline, Wait wait,
           bool is_new);
  void OnReadable(Connection* raw);
  void SendAndClose(std::shared_ptr<Connection> conn, const std::string& response);
  void ExpireDue();

  using Deadlines = std::multimap<SteadyClock::time_point, Connection*>;
  struct Watch {
    std::shared_ptr<Connection> conn;
    Deadlines::iterator deadline;
    Wait wait;
  };

  const Options options_;
  const Handoff on_request_;
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd: ends epoll_wait on Stop

  mutable Mutex mu_;
  bool stopped_ GUARDED_BY(mu_) = false;
  // Every armed connection, by its address (the epoll user data), and the
  // deadlines in order. A connection is armed iff it is in `watched_`.
  std::unordered_map<Connection*, Watch> watched_ GUARDED_BY(mu_);
  Deadlines deadlines_ GUARDED_BY(mu_);

  std::atomic<uint64_t> header_timeouts_{0};
  std::atomic<uint64_t> idle_closes_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> tls_failures_{0};
};

}  // namespace fsvc
