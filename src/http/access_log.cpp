#include "http/access_log.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "util/hex.h"
#include "util/time_text.h"

namespace fsvc {

Result<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& where) {
  if (where.empty() || where == "off") return std::unique_ptr<AccessLog>();
  if (where == "stdout") {
    UniqueFd out(::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3));
    if (!out.valid()) {
      return Error{Errc::kInvalidArgument,
                   std::string("ACCESS_LOG=stdout: cannot use stdout: ") + std::strerror(errno)};
    }
    return std::make_unique<AccessLog>(std::move(out));
  }
  UniqueFd fd(::open(where.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd.valid()) {
    return Error{Errc::kInvalidArgument,
                 "ACCESS_LOG=" + where + ": cannot open: " + std::strerror(errno)};
  }
  return std::make_unique<AccessLog>(std::move(fd));
}

std::string AccessLog::Format(const AccessRecord& r) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(r.time.time_since_epoch());
  const nlohmann::ordered_json line = {
      {"time", Rfc3339(ms.count())},
      {"request_id", r.request_id},
      {"client", r.client},
      {"key_id", r.key_id},
      {"method", r.method},
      {"route", r.route},
      {"path", r.path},
      {"status", r.status},
      {"bytes_in", r.bytes_in},
      {"bytes_out", r.bytes_out},
      {"duration_ms", std::chrono::duration<double, std::milli>(r.duration).count()},
      {"outcome", r.outcome},
  };
  // A path is the client's bytes: invalid UTF-8 is replaced, never fatal.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AccessLog::Write(const AccessRecord& record) {
  std::string line = Format(record);
  line += '\n';
  // One write: O_APPEND keeps whole lines apart. A full disk or a closed
  // stdout loses the line, not the request.
  for (size_t done = 0; done < line.size();) {
    const ssize_t n = ::write(fd_.get(), line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string NewRequestId() {
  static const std::string prefix = [] {
    unsigned char bytes[6] = {};
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
      const auto pid = static_cast<uint64_t>(::getpid());
      for (size_t i = 0; i < sizeof bytes; ++i)
        bytes[i] = static_cast<unsigned char>(pid >> (8 * i));
    }
    return HexEncode(bytes, sizeof bytes) + "-";
  }();
  static std::atomic<uint64_t> counter{0};
  return prefix + std::to_string(counter.fetch_add(1, std::memory_order_relaxed) + 1);
}

}  // namespace fsvc
