#include "http/access_log.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
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

namespace {

// Appends `value` as a JSON string. Plain printable ASCII, which nearly every
// field is, is copied as it is; anything else goes through nlohmann, which
// escapes it and replaces invalid UTF-8 (a path is the client's bytes).
void AppendJsonString(std::string& out, std::string_view value) {
  const bool plain = std::all_of(value.begin(), value.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!plain) {
    out += nlohmann::json(std::string(value))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out += '"';
  out += value;
  out += '"';
}

}  // namespace

std::string AccessLog::Format(const AccessRecord& r) {
  // Built by hand: a JSON document per request cost a tenth of /ping's
  // throughput on its own.
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(r.time.time_since_epoch());
  std::string out;
  out.reserve(256 + r.path.size());
  const auto field = [&out](std::string_view name, std::string_view value) {
    out += out.empty() ? "{\"" : ",\"";
    out += name;
    out += "\":";
    AppendJsonString(out, value);
  };
  const auto number = [&out](std::string_view name, const std::string& value) {
    out += ",\"";
    out += name;
    out += "\":";
    out += value;
  };
  field("time", Rfc3339(ms.count()));
  field("request_id", r.request_id);
  field("client", r.client);
  field("key_id", r.key_id);
  field("method", r.method);
  field("route", r.route);
  field("path", r.path);
  number("status", std::to_string(r.status));
  number("bytes_in", std::to_string(r.bytes_in));
  number("bytes_out", std::to_string(r.bytes_out));
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.3f",
                std::chrono::duration<double, std::milli>(r.duration).count());
  number("duration_ms", duration);
  field("outcome", r.outcome);
  out += '}';
  return out;
}

AccessLog::AccessLog(UniqueFd fd) : fd_(std::move(fd)), flusher_([this] { FlushLoop(); }) {}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  wake_.notify_one();
  flusher_.join();
}

void AccessLog::Write(const AccessRecord& record) {
  const std::string line = Format(record);
  std::unique_lock lock(mu_);
  buffer_ += line;
  buffer_ += '\n';
  if (buffer_.size() >= kFlushBytes) FlushLocked(lock);
}

void AccessLog::FlushLocked(std::unique_lock<std::mutex>& lock) {
  if (buffer_.empty()) return;
  std::string out;
  out.swap(buffer_);
  // Requests keep appending while the bytes go out; the write lock keeps
  // batches in the order they were taken, and is let go before mu_ is
  // taken again (the other order is held by a flusher waiting for it).
  {
    std::lock_guard write_lock(write_mu_);
    lock.unlock();
    for (size_t done = 0; done < out.size();) {
      const ssize_t n = ::write(fd_.get(), out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
  }
  lock.lock();
}

void AccessLog::FlushLoop() {
  std::unique_lock lock(mu_);
  while (!closing_) {
    wake_.wait_for(lock, kFlushInterval, [this] { return closing_; });
    FlushLocked(lock);
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
