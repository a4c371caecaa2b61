// The request boundary: every decision about a request that can be made
// from its header block, made once, from the route table, before a byte of
// its body is read.
//
// In order: the head parses strictly (400/414/431) and frames its body
// unambiguously (400); the route exists (404) for this method (405 with
// Allow; OPTIONS is answered 204 with Allow, and a CORS preflight from the
// same row: src/http/cors.h); the body fits the route's
// mode (413 body_not_allowed or over the limit, 411 for an upload without
// framing, 415 for a Content-Encoding, 417 for an unknown Expect); the
// client is within its rate class (429); its key holds the route's role
// (401/403); the server and the client have a body slot free (503, 429).
// Any refusal of a request that declared a body closes the connection, so
// the unread body is never parsed as a next request. Every answer, refusal
// or not, carries the CORS headers the request's Origin earns. An admitted request
// carries its route, the parsed Request and the slots it holds.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/body_reader.h"
#include "http/cors.h"
#include "http/message.h"
#include "http/request_head.h"
#include "http/route_table.h"
#include "http/upload_gate.h"
#include "util/mutex.h"

namespace fsvc {

// A rate-limit decision: the headers to add to the response either way.
struct RateVerdict {
  bool allowed = true;
  HeaderList headers;
  std::string message;  // why not, when refused
};
using RateCheck = std::function<RateVerdict(std::string_view client, RateClass rate)>;
// Nothing when `request` may use a route needing `access`; sets the
// accepted key's id. kUnauthorized or kForbidden otherwise.
using AccessCheck =
    std::function<std::optional<Error>(const Request& request, Access access, std::string& key_id)>;

struct BoundaryOptions {
  uint64_t max_upload_bytes = uint64_t{5} << 30;
  size_t max_header_bytes = 8192;
  BodyReader::Limits body;            // max_bytes is set per route
  size_t max_bodies_per_client = 16;  // 0: no bound
  unsigned trusted_proxy_hops = 0;
};

// Request bodies in progress per client, so one client cannot take every
// body slot. Thread-safe; the table holds only clients with a body open.
class ClientBodies {
 public:
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& o) noexcept
        : owner_(std::exchange(o.owner_, nullptr)), client_(std::move(o.client_)) {}
    Permit& operator=(Permit&& o) noexcept {
      Permit old(std::move(o));  // releases what this held when it goes
      std::swap(owner_, old.owner_);
      std::swap(client_, old.client_);
      return *this;
    }
    ~Permit();

   private:
    friend class ClientBodies;
    ClientBodies* owner_ = nullptr;
    std::string client_;
  };
  explicit ClientBodies(size_t max_per_client) : max_(max_per_client) {}
  // A permit, or nothing when `client` already has max_per_client open.
  std::optional<Permit> TryAcquire(std::string_view client);

 private:
  const size_t max_;
  Mutex mu_;
  std::map<std::string, size_t, std::less<>> open_ GUARDED_BY(mu_);
};

class Boundary {
 public:
  Boundary(const RouteTable& routes, BoundaryOptions options, UploadGate& gate);

  void SetRateCheck(RateCheck check) { rate_ = std::move(check); }
  void SetAccessCheck(AccessCheck check) { access_ = std::move(check); }
  void SetCors(CorsPolicy cors) { cors_ = std::move(cors); }  // before serving; off until set

  struct Admitted {
    const Route* route = nullptr;
    Request request;
    BodyFraming framing;
    size_t head_size = 0;
    bool expect_continue = false;
    HeaderList response_headers;  // added to whatever the handler answers
    std::optional<UploadGate::Permit> slot;
    std::optional<ClientBodies::Permit> client_slot;
    BodyReader::Limits body_limits;
  };
  struct Refused {
    Response response;
    bool close = false;
    bool head = false;     // a HEAD request: the answer has no body
    size_t head_size = 0;  // bytes of the header block to drop when the connection stays
    std::string label;     // the route's label, or "unrouted"
    std::string method;    // as far as the head parsed, for the access log
    std::string path;
  };
  struct Decision {
    std::optional<Admitted> admitted;
    Refused refused;  // when not admitted
  };

  // `bytes` starts with a complete header block (and may hold more).
  Decision Admit(std::string_view bytes, const std::string& remote_addr);

 private:
  const RouteTable& routes_;
  const BoundaryOptions options_;
  CorsPolicy cors_;
  UploadGate& gate_;
  ClientBodies client_bodies_;
  RateCheck rate_;
  AccessCheck access_;
};

}  // namespace fsvc
