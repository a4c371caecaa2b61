// Serves connections without a thread per connection.
//
// It takes each socket over as the Listener accepts it and moves it between
// two places: a
// ConnectionReactor while the connection is idle or its request header is
// still arriving, and an ElasticThreadPool thread only while a request with
// a complete header is served (by the RequestGate, over a ConnectionStream
// with deadlines). So thousands of keep-alive connections need only as many
// threads as there are requests in progress. The pool's threads poll the
// reactor between requests, so a busy server moves from one request to the
// next without a wake-up.
//
// Overload is refused fast with a canned 503 + Retry-After and a close: a new
// connection beyond max_connections, and a request whose header is complete
// while max_queue requests already wait for a thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "http/connection.h"
#include "http/connection_reactor.h"
#include "http/connection_stream.h"
#include "http/elastic_pool.h"
#include "http/listener.h"
#include "http/server_stats.h"
#include "http/tls.h"
#include "util/error.h"

namespace fsvc {

// Serves requests (src/http/server.cpp implements it with the Boundary and
// the route table).
class RequestGate {
 public:
  virtual ~RequestGate() = default;
  // The connection's buffer starts with a complete header block: answers
  // that request on `stream`, reading its body (if any) to the end. `last`:
  // the connection closes after it whatever happens. True when the
  // connection may carry another request.
  virtual bool Serve(Connection& conn, ConnectionStream& stream, bool last) = 0;
};

struct ConnectionLimits {
  PoolOptions pool;
  size_t max_connections = 10000;
  size_t max_requests_per_connection = 1000;
  ConnectionReactor::Options reactor;
  StreamTimeouts stream;
};

class ConnectionServer {
 public:
  // `gate` must outlive the server.
  ConnectionServer(ConnectionLimits limits, RequestGate& gate);
  ~ConnectionServer();
  ConnectionServer(const ConnectionServer&) = delete;
  ConnectionServer& operator=(const ConnectionServer&) = delete;

  // Binds and listens (see Listener::Bind); returns the port.
  Result<int> Bind(const std::string& host, int port, int backlog);
  // Every connection speaks TLS with `tls` (else plain HTTP); before Start.
  void UseTls(std::unique_ptr<TlsContext> tls) { tls_ = std::move(tls); }
  // Starts the pool and the reactor; after Bind, before Run.
  Status Start();
  // Accepts connections until Stop(), then closes the idle ones and returns
  // once every request in progress (and every queued one) has finished.
  Status Run();
  // Stops accepting; requests in progress go on. Safe from any thread.
  void Stop();
  // The connection whose request the calling thread serves, else null.
  static Connection* Current();
  // Every figure except the upload ones (see UploadGate).
  ServerStats Stats() const;

 private:
  void Adopt(UniqueFd sock);
  void Dispatch(std::shared_ptr<Connection> conn);
  void Serve(std::shared_ptr<Connection> conn);
  void StopConnections();

  const ConnectionLimits limits_;
  RequestGate& gate_;
  std::unique_ptr<TlsContext> tls_;  // null: plain HTTP
  std::unique_ptr<ElasticThreadPool> pool_;
  std::unique_ptr<ConnectionReactor> reactor_;
  Listener listener_;
  StreamCounters counters_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> open_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> rejected_limit_{0};
  std::atomic<uint64_t> rejected_queue_{0};
};

}  // namespace fsvc
