#include "http/server_stats.h"

namespace fsvc {

nlohmann::json ServerStatsJson(const ServerStats& s) {
  return {
      {"threads",
       {{"total", s.threads},
        {"busy", s.busy_threads},
        {"idle", s.idle_threads},
        {"max", s.max_threads},
        {"handoffs", s.handoffs}}},
      {"queue", {{"depth", s.queue_depth}, {"limit", s.queue_limit}}},
      {"connections",
       {{"open", s.open_connections},
        {"max", s.max_connections},
        {"parked", s.parked_connections},
        {"accepted", s.accepted_connections},
        {"tls_handshake_failures", s.tls_handshake_failures}}},
      {"rejected",
       {{"queue_full", s.rejected_queue_full}, {"connection_limit", s.rejected_connection_limit}}},
      {"timeouts",
       {{"header", s.header_timeouts},
        {"read", s.read_timeouts},
        {"write", s.write_timeouts},
        {"idle", s.idle_closes}}},
      {"uploads",
       {{"in_flight", s.uploads_in_flight},
        {"bytes_in_flight", s.upload_bytes_in_flight},
        {"max", s.max_uploads},
        {"max_bytes_in_flight", s.max_upload_bytes_in_flight},
        {"rejected", s.uploads_rejected}}}};
}

}  // namespace fsvc
