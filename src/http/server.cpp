#include "http/server.h"

#include <sys/socket.h>

#include "http/error_response.h"

namespace fsvc {
namespace {

// Body size allowed on routes that do not stream: JSON requests only.
constexpr uint64_t kSmallBodyLimit = 1 << 20;

// httplib keeps the listening socket protected; reaching it is the only way
// to raise the backlog 0.11.4 hard-codes to 5.
class ListenSocketServer : public httplib::Server {
 public:
  bool SetBacklog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

thread_local std::chrono::steady_clock::time_point t_request_start;

Error StatusError(int status) {
  switch (status) {
    case 400:
      return {Errc::kInvalidArgument, "malformed HTTP request"};
    case 404:
      return {Errc::kNotFound, "no such route"};
    case 405:
      return {Errc::kInvalidArgument, "method not allowed on this route"};
    case 413:
      return {Errc::kPayloadTooLarge, "request body too large"};
    case 414:
      return {Errc::kInvalidArgument, "request URI too long"};
    case 416:
      return {Errc::kRangeNotSatisfiable, "malformed Range header"};
    case 503:
      return {Errc::kUnavailable, "service unavailable"};
    default:
      return {status >= 500 ? Errc::kInternal : Errc::kInvalidArgument, "request failed"};
  }
}

}  // namespace

class HttpServer::Impl {
 public:
  explicit Impl(const Config& c) : config(c) {}
  const Config& config;
  ListenSocketServer svr;
  std::vector<std::string> large_body_prefixes;
  std::vector<Middleware> middleware;
  std::vector<Observer> observers;
  int port = 0;

  bool AllowsLargeBody(const std::string& path) const {
    for (const auto& p : large_body_prefixes) {
      if (path.compare(0, p.size(), p) == 0) return true;
    }
    return false;
  }

  httplib::Server::HandlerResponse PreRoute(const httplib::Request& req, httplib::Response& res) {
    t_request_start = std::chrono::steady_clock::now();
    // Ranges are served by our handlers (416 for unsatisfiable ones, any
    // number of parts ignored); httplib must not re-apply them. The request
    // object is not const where httplib owns it.
    const_cast<httplib::Request&>(req).ranges.clear();

    const uint64_t limit = AllowsLargeBody(req.path)
                               ? config.max_upload_bytes + kSmallBodyLimit  // multipart framing
                               : kSmallBodyLimit;
    const auto length = req.get_header_value<uint64_t>("Content-Length");
    if (length > limit) {
      // The unread body would be parsed as the next request: close instead.
      res.set_header("Connection", "close");
      SendError(res, {Errc::kPayloadTooLarge, "request body of " + std::to_string(length) +
                                                  " bytes exceeds the limit of " +
                                                  std::to_string(limit) + " bytes"});
      return httplib::Server::HandlerResponse::Handled;
    }
    for (const auto& m : middleware) {
      if (m(req, res)) return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }
};

HttpServer::HttpServer(const Config& config) : impl_(std::make_unique<Impl>(config)) {
  auto& svr = impl_->svr;
  const int threads = config.threads;
  // httplib takes ownership of the queue it is handed and deletes it.
  svr.new_task_queue = [threads] {
    return std::make_unique<httplib::ThreadPool>(threads).release();
  };
  svr.set_tcp_nodelay(true);
  svr.set_socket_options([](socket_t sock) {
    int on = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  });
  svr.set_keep_alive_max_count(static_cast<size_t>(config.keep_alive_max_requests));
  svr.set_keep_alive_timeout(config.keep_alive_timeout_sec);
  svr.set_read_timeout(config.read_timeout_sec);
  svr.set_write_timeout(config.write_timeout_sec);
  svr.set_payload_max_length(static_cast<size_t>(config.max_upload_bytes + kSmallBodyLimit));

  svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return impl_->PreRoute(req, res);
  });
  // Called for every status >= 400; fills in the envelope only where no
  // handler wrote a body (httplib's own 400/404/413/414/416).
  svr.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty() || res.status < 400) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        SendError(res, StatusError(res.status));
        return httplib::Server::HandlerResponse::Handled;
      }));
  svr.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unexpected error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        SendError(res, {Errc::kInternal, what});
      });
  svr.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const auto elapsed = std::chrono::steady_clock::now() - t_request_start;
    for (const auto& o : impl_->observers) o(req, res, elapsed);
  });
}

HttpServer::~HttpServer() = default;

httplib::Server& HttpServer::routes() {
  return impl_->svr;
}
void HttpServer::Post(const std::string& pattern, BodyHandler handler) {
  impl_->svr.Post(pattern, [handler = std::move(handler)](const httplib::Request& req,
                                                          httplib::Response& res,
                                                          const httplib::ContentReader& reader) {
    std::string body;
    const bool has_body = req.get_header_value<uint64_t>("Content-Length") > 0 ||
                          req.get_header_value("Transfer-Encoding") == "chunked";
    if (has_body) {
      bool too_large = false;
      const bool ok = reader([&](const char* data, size_t len) {
        too_large = body.size() + len > kSmallBodyLimit;
        if (!too_large) body.append(data, len);
        return !too_large;
      });
      if (!ok) {
        res.set_header("Connection", "close");
        return SendError(res, too_large ? Error{Errc::kPayloadTooLarge, "request body over 1 MiB"}
                                        : Error{Errc::kInvalidArgument, "request body unreadable"});
      }
    }
    handler(req, body, res);
  });
}

void HttpServer::AllowLargeBodies(std::string prefix) {
  impl_->large_body_prefixes.push_back(std::move(prefix));
}
void HttpServer::AddMiddleware(Middleware m) {
  impl_->middleware.push_back(std::move(m));
}
void HttpServer::AddObserver(Observer o) {
  impl_->observers.push_back(std::move(o));
}
void HttpServer::SetTaskQueueFactory(std::function<httplib::TaskQueue*()> factory) {
  impl_->svr.new_task_queue = std::move(factory);
}

Result<int> HttpServer::Bind() {
  auto& svr = impl_->svr;
  const auto& c = impl_->config;
  int port = c.port;
  if (port == 0) {
    port = svr.bind_to_any_port(c.host);
    if (port < 0) return Error{Errc::kUnavailable, "cannot bind " + c.host + " to any port"};
  } else if (!svr.bind_to_port(c.host, port)) {
    return Error{Errc::kUnavailable, "cannot bind " + c.host + ":" + std::to_string(port) +
                                         " (in use, or not permitted)"};
  }
  if (!svr.SetBacklog(c.listen_backlog)) {
    return Error{Errc::kInternal, "cannot raise the listen backlog"};
  }
  impl_->port = port;
  return port;
}

Status HttpServer::Run() {
  if (!impl_->svr.listen_after_bind()) {
    return Error{Errc::kInternal, "the listener stopped with an error"};
  }
  return OkStatus();
}

void HttpServer::Stop() {
  impl_->svr.stop();
}

}  // namespace fsvc
