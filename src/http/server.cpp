#include "http/server.h"

#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "http/access_log.h"
#include "http/connection_server.h"
#include "http/cors.h"
#include "http/error_response.h"
#include "http/file_body.h"
#include "http/upload_gate.h"
#include "platform/fd_limit.h"
#include "util/string_list.h"

namespace fsvc {
namespace {

// Descriptors kept free for the listener, data files, SQLite and logs.
constexpr uint64_t kReservedFds = 128;
// A pool thread blocked on a stalled client stays this long before retiring.
constexpr std::chrono::seconds kPoolIdleTimeout{30};
// Work queued this long without moving gets another thread: the running ones
// wait on a disk or a slow client rather than compute.
constexpr std::chrono::microseconds kPoolHandoffDelay{1000};

using Clock = std::chrono::steady_clock;

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

// Requests with a body each hold a pool thread for as long as the body
// takes; a quarter of the threads (at least two) stay free of them, so
// probes and downloads are served however many bodies trickle in.
UploadGate::Limits BodySlots(const Config& c) {
  const auto threads = static_cast<uint64_t>(c.threads);
  const uint64_t reserve = std::max<uint64_t>(2, threads / 4);
  const uint64_t by_threads = threads > reserve ? threads - reserve : 1;
  return {std::min(static_cast<uint64_t>(c.max_concurrent_uploads), by_threads),
          c.max_upload_inflight_bytes};
}

BoundaryOptions BoundaryOptionsFrom(const Config& c) {
  BoundaryOptions o;
  o.max_upload_bytes = c.max_upload_bytes;
  o.max_header_bytes = static_cast<size_t>(c.max_header_bytes);
  o.body.min_rate = c.min_body_rate;
  o.body.window = std::chrono::seconds(c.body_rate_window_sec);
  o.max_bodies_per_client = static_cast<size_t>(c.max_bodies_per_client);
  o.trusted_proxy_hops = static_cast<unsigned>(c.trusted_proxy_hops);
  return o;
}

const char* Reason(int status) {
  switch (status) {
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return status < 400 ? "OK" : "Error";
  }
}

// An answer the boundary gives before the library has seen the request.
std::string Serialize(const Response& res, bool close, bool head_request) {
  std::string out = "HTTP/1.1 " + std::to_string(res.status) + " " + Reason(res.status) + "\r\n";
  for (const auto& [k, v] : res.headers()) out += k + ": " + v + "\r\n";
  if (!res.content_type().empty()) out += "Content-Type: " + res.content_type() + "\r\n";
  if (res.status != 204) out += "Content-Length: " + std::to_string(res.body().size()) + "\r\n";
  out += "X-Content-Type-Options: nosniff\r\n";
  out += close ? "Connection: close\r\n\r\n" : "\r\n";
  if (!head_request) out += res.body();
  return out;
}

// Our response as the library writes it.
void ToLibrary(const Response& from, httplib::Response& to) {
  to.status = from.status;
  for (const auto& [k, v] : from.headers()) to.set_header(k.c_str(), v);
  if (from.closes_connection()) to.set_header("Connection", "close");
  if (const Response::FileBody* file = from.file()) {
    to.set_content_provider(static_cast<size_t>(file->length), from.content_type(),
                            [owner = file->owner, fd = file->fd, offset = file->offset](
                                size_t at, size_t want, httplib::DataSink& sink) {
                              return WriteFileSlice(sink, fd, offset + at, want);
                            });
  } else if (!from.body().empty() || !from.content_type().empty()) {
    to.set_content(from.body(), from.content_type());
  }
}

}  // namespace

class HttpServer::Impl final : public RequestGate {
 public:
  explicit Impl(const Config& c)
      : config(c),
        trusted_proxies(SplitList(c.trusted_proxies)),
        uploads(BodySlots(c)),
        boundary(routes, BoundaryOptionsFrom(c), uploads),
        svr(LimitsFrom(c), *this) {}

  const Config& config;
  const std::vector<std::string> trusted_proxies;  // their X-Request-Id is kept
  std::unique_ptr<AccessLog> access_log;           // null: off
  RouteTable routes;
  UploadGate uploads;
  Boundary boundary;
  ConnectionServer svr;
  std::vector<RequestObserver> observers;

  // The request the calling thread serves, from Admit() to Finish().
  // Lives in the thread's own slot: a request costs no allocation for it.
  struct InFlight {
    InFlight(Boundary::Admitted a, BodyReader r, Clock::time_point t)
        : admitted(std::move(a)), reader(std::move(r)), started(t) {}
    Boundary::Admitted admitted;
    BodyReader reader;
    Clock::time_point started;
    std::string request_id;
    uint64_t bytes_out = 0;  // the body the handler answered
    bool closes = false;
    bool finished = false;  // on_finish has run
  };
  static thread_local std::optional<InFlight> t_current;

  void Started() {
    for (const auto& o : observers) {
      if (o.on_start) o.on_start();
    }
  }
  void Finished(std::string_view label, int status, Clock::time_point started) {
    const auto elapsed = Clock::now() - started;
    for (const auto& o : observers) {
      if (o.on_finish) o.on_finish(label, status, elapsed);
    }
  }
  // The admitted request's access-log line; `aborted`: no response went out.
  void LogAdmitted(const InFlight& f, int status, bool aborted) {
    if (!access_log) return;
    const Request& req = f.admitted.request;
    access_log->Write({std::chrono::system_clock::now(), f.request_id, req.client, req.key_id,
                       req.method, f.admitted.route->pattern, req.path, status,
                       f.reader.bytes_read(), aborted ? 0 : f.bytes_out, Clock::now() - f.started,
                       aborted        ? "aborted"
                       : status < 400 ? "ok"
                                      : "error"});
  }
  // X-Request-Id: a trusted proxy's, else our own.
  std::string RequestIdFor(const Request& req, const std::string& peer) const {
    const std::string_view sent = req.Header("X-Request-Id");
    if (!sent.empty() && IsValidRequestId(sent) &&
        std::find(trusted_proxies.begin(), trusted_proxies.end(), peer) != trusted_proxies.end()) {
      return std::string(sent);
    }
    return NewRequestId();
  }

  bool Admit(Connection& conn, ConnectionStream& stream, bool& close) override {
    const auto started = Clock::now();
    Started();
    Boundary::Decision d = boundary.Admit(conn.Buffered(), conn.remote_ip());
    if (!d.admitted) {
      Boundary::Refused& r = d.refused;
      const std::string id = NewRequestId();
      r.response.SetHeader("X-Request-Id", id);
      const std::string bytes = Serialize(r.response, r.close, r.head);
      stream.write(bytes.data(), bytes.size());
      if (!r.close) conn.Discard(r.head_size);
      close = r.close;
      Finished(r.label, r.response.status, started);
      if (access_log) {
        access_log->Write(
            {std::chrono::system_clock::now(), id, conn.remote_ip(), "", r.method,
             r.label == "unrouted" ? "unrouted" : r.label.substr(r.label.find(' ') + 1), r.path,
             r.response.status, 0, r.head ? 0 : r.response.body().size(), Clock::now() - started,
             r.response.status < 400 ? "ok" : "refused"});
      }
      return false;
    }
    Boundary::Admitted& a = *d.admitted;
    // Range and Expect are ours: the library would answer a Range it cannot
    // parse with 416 and an Expect with "100 Continue" before routing.
    for (size_t offset : a.library_blind) conn.Overwrite(offset, 'X');
    const bool expect = a.expect_continue;
    BodyReader reader(
        a.framing, a.body_limits,
        [&stream](char* buf, size_t n) { return static_cast<long>(stream.read(buf, n)); },
        [&stream, expect] {
          if (!expect) return true;
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          return stream.write(kContinue.data(), kContinue.size()) > 0 && stream.Flush();
        });
    std::string id = RequestIdFor(a.request, conn.remote_ip());
    t_current.emplace(std::move(a), std::move(reader), started);
    t_current->request_id = std::move(id);
    return true;
  }

  bool Finish(Connection& conn) override {
    if (!t_current) return false;
    InFlight& f = *t_current;
    if (!f.finished) {
      Finished(f.admitted.route->label(), 500, f.started);
      LogAdmitted(f, 500, /*aborted=*/true);
    }
    // A body left unread (the handler answered early) would be parsed as the next request.
    const bool reusable = f.reader.complete() && !f.closes && conn.Unread(f.reader.leftover());
    t_current.reset();  // the body slots go back here
    return reusable;
  }

  // Runs the admitted request's handler; called by the library once it has
  // read the header block.
  void Dispatch(httplib::Response& out) {
    InFlight& f = *t_current;
    Request& req = f.admitted.request;
    Response res;
    const Route& route = *f.admitted.route;
    BodyReader& reader = f.reader;
    bool run = true;
    if (route.body == BodyMode::kSmall) {
      auto read = reader.ReadAll([&req](std::string_view piece) -> Status {
        req.body.append(piece);
        return OkStatus();
      });
      if (!read) {
        SendError(res, read.error());
        run = false;
      }
    } else if (route.body == BodyMode::kStreamed) {
      req.SetBodyPuller([&reader](const BodySink& sink) { return reader.ReadAll(sink); });
    }
    if (run) {
      try {
        route.handler(req, res);
      } catch (const std::exception& e) {
        res = Response();
        SendError(res, {Errc::kInternal, e.what()});
      }
    }
    for (const auto& [k, v] : f.admitted.response_headers) {
      if (res.Header(k).empty()) res.SetHeader(k, v);
    }
    for (const auto& o : observers) {
      if (o.before_send) o.before_send(req, res);
    }
    if (!reader.complete()) res.CloseConnection();
    f.closes = res.closes_connection();
    res.SetHeader("X-Request-Id", f.request_id);
    f.bytes_out = req.method == "HEAD" ? 0 : res.file() ? res.file()->length : res.body().size();
    ToLibrary(res, out);
  }
};

thread_local std::optional<HttpServer::Impl::InFlight> HttpServer::Impl::t_current;

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
  // Browsers must not guess a type the response did not declare.
  svr.set_default_headers({{"X-Content-Type-Options", "nosniff"}});
  // Every request that reaches the library was admitted by the boundary,
  // which dispatches it from the table: httplib's own router never runs.
  svr.set_pre_routing_handler([this](const httplib::Request&, httplib::Response& res) {
    impl_->Dispatch(res);
    return httplib::Server::HandlerResponse::Handled;
  });
  // Only the library's own refusals (a head our parser took and it did not)
  // reach here without a body: they close the connection.
  svr.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty() || res.status < 400) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        res.set_header("Connection", "close");
        Response ours;
        SendError(ours, {res.status >= 500 ? Errc::kInternal : Errc::kInvalidArgument,
                         "request refused by the HTTP parser"});
        res.set_content(ours.body(), ours.content_type());
        return httplib::Server::HandlerResponse::Handled;
      }));
  svr.set_logger([this](const httplib::Request&, const httplib::Response& res) {
    auto& f = Impl::t_current;
    if (!f || f->finished) return;
    f->finished = true;
    if (res.get_header_value("Connection") == "close") f->closes = true;
    impl_->Finished(f->admitted.route->label(), res.status, f->started);
    impl_->LogAdmitted(*f, res.status, /*aborted=*/false);
  });
}

HttpServer::~HttpServer() = default;

RouteTable& HttpServer::routes() {
  return impl_->routes;
}
void HttpServer::SetRateCheck(RateCheck check) {
  impl_->boundary.SetRateCheck(std::move(check));
}
void HttpServer::SetAccessCheck(AccessCheck check) {
  impl_->boundary.SetAccessCheck(std::move(check));
}
void HttpServer::AddObserver(RequestObserver o) {
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
  auto log = AccessLog::Open(c.access_log);
  if (!log) return log.error();
  impl_->access_log = std::move(*log);
  auto cors = CorsPolicy::Make({c.cors_allowed_origins, c.cors_allowed_methods,
                                c.cors_allowed_headers, c.cors_allow_credentials, c.cors_max_age});
  if (!cors) return cors.error();
  impl_->boundary.SetCors(std::move(*cors));
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
