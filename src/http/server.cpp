#include "http/server.h"

#include <algorithm>

#include "http/connection_server.h"
#include "http/error_response.h"
#include "http/upload_gate.h"
#include "platform/fd_limit.h"

namespace fsvc {
namespace {

// Body size allowed on routes that do not stream: JSON requests only.
constexpr uint64_t kSmallBodyLimit = 1 << 20;

// Descriptors kept free for the listener, data files, SQLite and logs.
constexpr uint64_t kReservedFds = 128;
// A pool thread blocked on a stalled client stays this long before retiring.
constexpr std::chrono::seconds kPoolIdleTimeout{30};
// Work queued this long without moving gets another thread: the running ones
// wait on a disk or a slow client rather than compute.
constexpr std::chrono::microseconds kPoolHandoffDelay{1000};

ConnectionLimits LimitsFrom(const Config& c) {
  ConnectionLimits l;
  const auto max_threads = static_cast<size_t>(c.threads);
  const auto cpus = static_cast<size_t>(std::max(1.0, c.limits.EffectiveCpus()));
  // Every connection is a descriptor: the fd limit binds before memory can.
  const uint64_t fds = CurrentFdLimit();
  const uint64_t by_fds = fds > 2 * kReservedFds ? fds - kReservedFds : fds / 2;
  l.max_connections = std::min<uint64_t>(static_cast<uint64_t>(c.max_connections), by_fds);
  // No more requests can wait than there are connections to send them.
  // One running thread per CPU; more only when those are blocked.
  l.pool = {std::min(max_threads, 2 * cpus),
            max_threads,
            std::min(static_cast<size_t>(c.admission_queue), l.max_connections),
            kPoolIdleTimeout,
            cpus,
            kPoolHandoffDelay};
  l.max_requests_per_connection = static_cast<size_t>(c.keep_alive_max_requests);
  l.reactor = {std::chrono::seconds(c.header_timeout_sec),
               std::chrono::seconds(c.keep_alive_timeout_sec)};
  l.stream = {std::chrono::seconds(c.read_timeout_sec), std::chrono::seconds(c.write_timeout_sec)};
  return l;
}

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
  explicit Impl(const Config& c)
      : config(c),
        svr(LimitsFrom(c)),
        uploads({static_cast<uint64_t>(c.max_concurrent_uploads), c.max_upload_inflight_bytes}) {}
  const Config& config;
  ConnectionServer svr;
  UploadGate uploads;
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
    if (AllowsLargeBody(req.path) && (length > 0 || req.has_header("Transfer-Encoding"))) {
      return AdmitUpload(length, res);
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  // The permit lives with the connection until the response has been sent.
  httplib::Server::HandlerResponse AdmitUpload(uint64_t length, httplib::Response& res) {
    Connection* conn = ConnectionServer::Current();
    auto permit = uploads.TryAcquire(length);
    if (permit && conn) {
      conn->upload_permit.emplace(std::move(*permit));
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (!permit) {
      res.set_header("Retry-After", "1");
      res.set_header("Connection", "close");  // the body stays unread
      SendError(res, {Errc::kUnavailable, "too many uploads in progress, retry shortly"});
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }
};

HttpServer::HttpServer(const Config& config) : impl_(std::make_unique<Impl>(config)) {
  auto& svr = impl_->svr;
  svr.set_tcp_nodelay(true);
  svr.set_socket_options([](socket_t sock) {
    int on = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  });
  svr.set_keep_alive_max_count(static_cast<size_t>(config.keep_alive_max_requests));
  // What httplib announces in Keep-Alive; ConnectionServer enforces both.
  svr.set_keep_alive_timeout(config.keep_alive_timeout_sec);
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
        // httplib's own 400/413/414: the request was not read to its end,
        // so what follows on the connection is no request to trust.
        if (res.status == 400 || res.status == 413 || res.status == 414) {
          res.set_header("Connection", "close");
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
    if (res.get_header_value("Connection") == "close") {
      if (Connection* conn = ConnectionServer::Current()) conn->close_after_response = true;
    }
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
ServerStats HttpServer::Stats() const {
  ServerStats s = impl_->svr.Stats();
  const UploadGate::Figures u = impl_->uploads.Snapshot();
  s.uploads_in_flight = u.uploads;
  s.upload_bytes_in_flight = u.bytes;
  s.max_uploads = u.limits.max_uploads;
  s.max_upload_bytes_in_flight = u.limits.max_bytes;
  s.uploads_rejected = u.refused;
  return s;
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
  if (auto started = svr.Start(); !started) return started.error();
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
