// The HTTP server, built on no HTTP library: the Listener accepts, the
// ConnectionServer moves connections between its reactor and its threads
// (see connection_server.h), every request's header block is parsed and judged
// by the Boundary (src/http/boundary.h), every admitted request is
// dispatched from the route table to a handler that sees only the project's
// own Request and Response (src/http/message.h), and the response is
// written by src/http/response_writer.h. Observers watch every request,
// answered early or not, from the side.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "http/boundary.h"
#include "http/message.h"
#include "http/route_table.h"
#include "http/server_stats.h"
#include "util/error.h"

namespace fsvc {

struct RequestObserver {
  // The header block has arrived (before the boundary decides).
  std::function<void()> on_start;
  // An admitted request's handler has answered; headers may still be added.
  std::function<void(const Request&, Response&)> before_send;
  // The response has been sent (or the connection failed).
  std::function<void(std::string_view route_label, int status, std::chrono::nanoseconds elapsed)>
      on_finish;
};

class HttpServer {
 public:
  explicit HttpServer(const Config& config);
  ~HttpServer();

  // Rows are added before Bind().
  RouteTable& routes();
  void SetRateCheck(RateCheck check);
  void SetAccessCheck(AccessCheck check);
  void AddObserver(RequestObserver observer);
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
