// Figures about the connection machinery, for /health and metrics: the
// thread pool, the admission queue, waiting connections and the refusals and
// deadline closes that keep overload bounded.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace fsvc {

struct ServerStats {
  // Thread pool.
  uint64_t threads = 0;
  uint64_t busy_threads = 0;
  uint64_t idle_threads = 0;
  uint64_t max_threads = 0;
  // Threads woken or started because queued work stopped moving (its
  // threads blocked on a disk or a slow client).
  uint64_t handoffs = 0;
  // Requests whose header has arrived, waiting for a thread.
  uint64_t queue_depth = 0;
  uint64_t queue_limit = 0;
  // Connections.
  uint64_t open_connections = 0;
  uint64_t max_connections = 0;
  uint64_t parked_connections = 0;  // idle or mid-header, holding no thread
  uint64_t accepted_connections = 0;
  // Refusals (503 + Retry-After, then close).
  uint64_t rejected_queue_full = 0;
  uint64_t rejected_connection_limit = 0;
  uint64_t tls_handshake_failures = 0;  // closed: not TLS, or a broken handshake
  // Deadline closes.
  uint64_t header_timeouts = 0;
  uint64_t read_timeouts = 0;
  uint64_t write_timeouts = 0;
  uint64_t idle_closes = 0;
  // Uploads.
  uint64_t uploads_in_flight = 0;
  uint64_t upload_bytes_in_flight = 0;
  uint64_t max_uploads = 0;
  uint64_t max_upload_bytes_in_flight = 0;
  uint64_t uploads_rejected = 0;
};

nlohmann::json ServerStatsJson(const ServerStats& s);

}  // namespace fsvc
