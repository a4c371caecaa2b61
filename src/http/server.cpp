#include "http/server.h"

#include <algorithm>

#include "http/access_log.h"
#include "http/connection_server.h"
#include "http/cors.h"
#include "http/error_response.h"
#include "http/response_writer.h"
#include "http/tls.h"
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
  // X-Request-Id: a trusted proxy's, else our own.
  std::string RequestIdFor(const Request& req, const std::string& peer) const {
    const std::string_view sent = req.Header("X-Request-Id");
    if (!sent.empty() && IsValidRequestId(sent) &&
        std::find(trusted_proxies.begin(), trusted_proxies.end(), peer) != trusted_proxies.end()) {
      return std::string(sent);
    }
    return NewRequestId();
  }
  static uint64_t BodyBytes(const Response& res, bool head_request) {
    if (head_request) return 0;
    return res.body_length();
  }

  bool Serve(Connection& conn, ConnectionStream& stream, bool last) override {
    const auto started = Clock::now();
    Started();
    Boundary::Decision d = boundary.Admit(conn.Buffered(), conn.remote_ip());
    if (!d.admitted) {
      Boundary::Refused& r = d.refused;
      const std::string id = NewRequestId();
      r.response.SetHeader("X-Request-Id", id);
      const bool close = r.close || last;
      const bool sent = WriteResponse(stream, r.response, r.head, close);
      if (!close) conn.Discard(r.head_size);
      Finished(r.label, r.response.status, started);
      if (access_log) {
        access_log->Write(
            {std::chrono::system_clock::now(), id, conn.remote_ip(), "", r.method,
             r.label == "unrouted" ? "unrouted" : r.label.substr(r.label.find(' ') + 1), r.path,
             r.response.status, 0, sent ? BodyBytes(r.response, r.head) : 0, Clock::now() - started,
             !sent                     ? "aborted"
             : r.response.status < 400 ? "ok"
                                       : "refused"});
      }
      return sent && !close;
    }
    Boundary::Admitted& a = *d.admitted;
    conn.Discard(a.head_size);
    stream.BeginBody();
    const bool expect = a.expect_continue;
    BodyReader reader(
        a.framing, a.body_limits, [&stream](char* buf, size_t n) { return stream.Read(buf, n); },
        [&stream, expect] {
          if (!expect) return true;
          return stream.Write("HTTP/1.1 100 Continue\r\n\r\n") && stream.Flush();
        });
    const std::string id = RequestIdFor(a.request, conn.remote_ip());
    Response res = Dispatch(a, reader);
    res.SetHeader("X-Request-Id", id);
    // A body left unread (the handler answered early) would be parsed as the
    // next request: the connection closes instead, unless what was read past
    // the body's end fits back into the buffer.
    const bool close =
        last || res.closes_connection() || !reader.complete() || !conn.Unread(reader.leftover());
    const bool head_request = a.request.method == "HEAD";
    const bool sent = WriteResponse(stream, res, head_request, close);
    Finished(a.route->label(), res.status, started);
    if (access_log) {
      const Request& req = a.request;
      access_log->Write({std::chrono::system_clock::now(), id, req.client, req.key_id, req.method,
                         a.route->pattern, req.path, res.status, reader.bytes_read(),
                         sent ? BodyBytes(res, head_request) : 0, Clock::now() - started,
                         !sent              ? "aborted"
                         : res.status < 400 ? "ok"
                                            : "error"});
    }
    // The body slots go back when `a` does, once the answer is out.
    return sent && !close;
  }

  // Runs the admitted request's handler, its body read as its route wants.
  Response Dispatch(Boundary::Admitted& a, BodyReader& reader) {
    Request& req = a.request;
    Response res;
    const Route& route = *a.route;
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
    for (const auto& [k, v] : a.response_headers) {
      if (res.Header(k).empty()) res.SetHeader(k, v);
    }
    for (const auto& o : observers) {
      if (o.before_send) o.before_send(req, res);
    }
    if (!reader.complete()) res.CloseConnection();
    return res;
  }
};

HttpServer::HttpServer(const Config& config) : impl_(std::make_unique<Impl>(config)) {}

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
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    return Error{Errc::kInvalidArgument,
                 "TLS_CERT_FILE and TLS_KEY_FILE go together: set both "
                 "(HTTPS) or neither (plain HTTP)"};
  }
  if (!c.tls_cert_file.empty()) {
    auto tls = TlsContext::Load(c.tls_cert_file, c.tls_key_file);
    if (!tls) return tls.error();
    svr.UseTls(std::move(*tls));
  }
  auto port = svr.Bind(c.host, c.port, c.listen_backlog);
  if (!port) return port.error();
  if (auto started = svr.Start(); !started) return started.error();
  return *port;
}

Status HttpServer::Run() {
  return impl_->svr.Run();
}

void HttpServer::Stop() {
  impl_->svr.Stop();
}

}  // namespace fsvc
