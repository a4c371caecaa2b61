// The access log: one JSON line per request. Lines are gathered in a
// buffer and written whole, with one write(2) on an O_APPEND descriptor,
// when it holds kFlushBytes or every kFlushInterval by a flusher thread, and
// when the log closes: a write(2) per request cost a third of /ping's
// throughput on a file (README, "Access log"). A crash loses at most the
// last interval's lines; a full disk or a closed stdout loses lines, never
// requests.
//
// A line holds: time (RFC 3339, ms), request id, client (the limiter's key:
// the peer, or X-Forwarded-For behind trusted proxies), key_id (the accepted
// API key's id, never the key), method, route (the pattern, "unrouted" when
// none matched), path, status, bytes_in (request body bytes read), bytes_out
// (response body bytes), duration_ms, and outcome:
//   "ok"        answered 1xx-3xx (by the handler, or OPTIONS by the boundary);
//   "error"     the handler answered 4xx/5xx;
//   "refused"   the boundary refused it (4xx/5xx) before any handler ran;
//   "aborted"   the request ended with no response handed to the connection
//               (the client went away mid-body, or the handler failed).
// ACCESS_LOG chooses: off (the default), stdout, or a file path.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "util/error.h"
#include "util/unique_fd.h"

namespace fsvc {

struct AccessRecord {
  std::chrono::system_clock::time_point time;
  std::string_view request_id;
  std::string_view client;
  std::string_view key_id;
  std::string_view method;
  std::string_view route;
  std::string_view path;
  int status = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::chrono::nanoseconds duration{0};
  std::string_view outcome;
};

class AccessLog {
 public:
  // Null for "off"; stdout for "stdout"; otherwise the file, created or
  // appended to (kInvalidArgument naming it when it cannot be opened).
  static Result<std::unique_ptr<AccessLog>> Open(const std::string& where);
  explicit AccessLog(UniqueFd fd);
  ~AccessLog();  // writes what is buffered
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  static constexpr size_t kFlushBytes = 64 << 10;
  static constexpr std::chrono::milliseconds kFlushInterval{100};

  // Any thread.
  void Write(const AccessRecord& record);
  // The line Write would write, without its newline.
  static std::string Format(const AccessRecord& record);

 private:
  void FlushLocked(std::unique_lock<std::mutex>& lock);  // releases the lock while writing
  void FlushLoop();

  const UniqueFd fd_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::string buffer_;    // GUARDED_BY(mu_)
  bool closing_ = false;  // GUARDED_BY(mu_)
  std::mutex write_mu_;   // one write(2) at a time keeps the lines in order
  std::thread flusher_;   // last: started once the rest is built
};

// Request ids: the one a trusted proxy sent (1 to 128 characters of
// [A-Za-z0-9._:-]; anything else is replaced), or a fresh one, unique in
// this process and unlikely to repeat across processes (a random prefix
// drawn at start, then a counter).
bool IsValidRequestId(std::string_view id);
std::string NewRequestId();

}  // namespace fsvc
