#include "http/connection_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace fsvc {
namespace {

thread_local Connection* t_current = nullptr;

}  // namespace

ConnectionServer::ConnectionServer(ConnectionLimits limits, RequestGate& gate)
    : limits_(limits), gate_(gate) {}

ConnectionServer::~ConnectionServer() {
  StopConnections();
}

Result<int> ConnectionServer::Bind(const std::string& host, int port, int backlog) {
  return listener_.Bind(host, port, backlog);
}

Status ConnectionServer::Start() {
  reactor_ = std::make_unique<ConnectionReactor>(
      limits_.reactor, [this](std::shared_ptr<Connection> conn) { Dispatch(std::move(conn)); });
  if (auto started = reactor_->Start(); !started) return started;
  // Pool threads poll the reactor between requests: under load the request
  // that arrived while one was served is picked up without a wake-up.
  pool_ = std::make_unique<ElasticThreadPool>(
      limits_.pool, [this](int timeout_ms) { reactor_->Poll(timeout_ms); });
  return OkStatus();
}

Status ConnectionServer::Run() {
  Status accepted = listener_.Accept([this](UniqueFd sock) { Adopt(std::move(sock)); });
  StopConnections();
  return accepted;
}

void ConnectionServer::Stop() {
  stopping_.store(true, std::memory_order_relaxed);
  listener_.Stop();
}

Connection* ConnectionServer::Current() {
  return t_current;
}

void ConnectionServer::Adopt(UniqueFd sock) {
  accepted_.fetch_add(1, std::memory_order_relaxed);
  // The socket is non-blocking (every read and write waits in poll() against
  // a deadline; sendfile(2), which takes no MSG_DONTWAIT, needs that).
  int on = 1;
  ::setsockopt(sock.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  std::unique_ptr<TlsSession> tls;
  if (tls_) {
    tls = tls_->NewSession(sock.get());
    if (!tls) return;  // out of memory: the socket closes
  }
  auto conn = std::make_shared<Connection>(std::move(sock), &open_, std::move(tls));
  if (open_.load(std::memory_order_relaxed) > limits_.max_connections) {
    rejected_limit_.fetch_add(1, std::memory_order_relaxed);
    reactor_->Refuse(std::move(conn));
    return;
  }
  reactor_->WatchNew(std::move(conn));
}

void ConnectionServer::Dispatch(std::shared_ptr<Connection> conn) {
  // The task holds its own reference, so a refused connection is still here
  // to be answered.
  if (!pool_->TrySubmit([this, conn]() mutable { Serve(std::move(conn)); })) {
    rejected_queue_.fetch_add(1, std::memory_order_relaxed);
    reactor_->Refuse(std::move(conn));
  }
}

void ConnectionServer::Serve(std::shared_ptr<Connection> conn) {
  t_current = conn.get();
  for (;;) {
    const bool stopping = stopping_.load(std::memory_order_relaxed);
    const bool last = stopping || conn->requests_served + 1 >= limits_.max_requests_per_connection;
    ConnectionStream stream(*conn, limits_.stream, counters_);
    const bool reusable = gate_.Serve(*conn, stream, last);
    // An error response written by a failed request goes out too.
    const bool ok = stream.Flush() && reusable;
    ++conn->requests_served;
    if (!ok || last) break;
    conn->TakeTlsPending();
    if (conn->HasCompleteHeader() || conn->BufferFull()) {
      conn->header_deadline = SteadyClock::now() + limits_.reactor.header_timeout;
      continue;
    }
    t_current = nullptr;
    reactor_->WatchIdle(std::move(conn));
    return;
  }
  t_current = nullptr;
  reactor_->Close(std::move(conn));
}

void ConnectionServer::StopConnections() {
  if (reactor_) reactor_->Stop();
  if (pool_) pool_->Shutdown();
}

ServerStats ConnectionServer::Stats() const {
  ServerStats s;
  if (pool_) {
    const PoolStats p = pool_->Stats();
    s.threads = p.threads;
    s.busy_threads = p.busy;
    s.idle_threads = p.idle;
    s.max_threads = p.max_threads;
    s.handoffs = p.handoffs;
    s.queue_depth = p.queued;
    s.queue_limit = p.max_queue;
  }
  if (reactor_) {
    const ConnectionReactor::Figures r = reactor_->Snapshot();
    s.parked_connections = r.watched;
    s.header_timeouts = r.header_timeouts;
    s.idle_closes = r.idle_closes;
    s.tls_handshake_failures = r.tls_failures;
  }
  s.header_timeouts += counters_.header_timeouts.load(std::memory_order_relaxed);
  s.read_timeouts = counters_.read_timeouts.load(std::memory_order_relaxed);
  s.write_timeouts = counters_.write_timeouts.load(std::memory_order_relaxed);
  s.open_connections = open_.load(std::memory_order_relaxed);
  s.max_connections = limits_.max_connections;
  s.accepted_connections = accepted_.load(std::memory_order_relaxed);
  s.rejected_queue_full = rejected_queue_.load(std::memory_order_relaxed);
  s.rejected_connection_limit = rejected_limit_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace fsvc
