// cpp-httplib, configured for this service.
//
// Fixes 0.11.4's harmful defaults (TCP_NODELAY off, listen backlog 5, five
// requests per connection, 5 s write timeout, a thread held by every open
// connection: see connection_server.h), answers every error httplib raises
// itself with the JSON envelope, refuses large bodies on routes that do not
// stream them (httplib would buffer them in memory), bounds concurrent
// uploads (503 + Retry-After beyond the limits), and runs middleware before
// routing and observers after each response.
#pragma once

#include <httplib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "http/server_stats.h"
#include "util/error.h"

namespace fsvc {

class HttpServer {
 public:
  // Returns true if it answered the request itself (routing is skipped).
  using Middleware = std::function<bool(const httplib::Request&, httplib::Response&)>;
  using Observer = std::function<void(const httplib::Request&, const httplib::Response&,
                                      std::chrono::nanoseconds elapsed)>;

  explicit HttpServer(const Config& config);
  ~HttpServer();

  httplib::Server& routes();
  // A POST route whose small body (at most 1 MiB, possibly none) is read
  // whole before `handler` runs. httplib itself rejects a POST that has
  // neither Content-Length nor chunking (as `curl -X POST` sends), so every
  // POST without a streamed body is registered through here.
  using BodyHandler =
      std::function<void(const httplib::Request&, const std::string& body, httplib::Response&)>;
  void Post(const std::string& pattern, BodyHandler handler);
  // Paths starting with `prefix` may carry bodies up to the upload limit.
  void AllowLargeBodies(std::string prefix);
  void AddMiddleware(Middleware m);
  void AddObserver(Observer o);
  // Threads, queue, connections, refusals, timeouts, uploads; any thread.
  ServerStats Stats() const;

  // Binds host:port (port 0: any) and raises the backlog; returns the port.
  Result<int> Bind();
  // Serves until Stop(); returns when in-flight requests have finished.
  Status Run();
  // Stops accepting; safe from any thread.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fsvc
