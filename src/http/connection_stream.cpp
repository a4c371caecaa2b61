#include "http/connection_stream.h"

#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace fsvc {

ConnectionStream::ConnectionStream(Connection& conn, const StreamTimeouts& timeouts,
                                   StreamCounters& counters)
    : conn_(conn), timeouts_(timeouts), counters_(counters) {}

std::chrono::milliseconds ConnectionStream::ReadBudget() const {
  if (!in_header_) return timeouts_.read;
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(conn_.header_deadline - SteadyClock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

bool ConnectionStream::WaitFor(short events, std::chrono::milliseconds budget) const {
  pollfd p{conn_.fd(), events, 0};
  const auto deadline = SteadyClock::now() + budget;
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    const int n = ::poll(&p, 1, static_cast<int>(std::max<long>(left, 0)));
    if (n > 0) return (p.revents & events) != 0;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool ConnectionStream::WaitWritable() const {
  // POLLOUT alone is no measure of a slow reader: the kernel reports it only
  // once a third of a (multi-megabyte) send buffer is free, which a client
  // reading 100 KB/s takes many seconds to free. Progress is what counts:
  // the deadline restarts whenever the peer has taken bytes.
  constexpr auto kProbe = std::chrono::milliseconds(250);
  auto deadline = SteadyClock::now() + timeouts_.write;
  int queued = -1;
  ::ioctl(conn_.fd(), SIOCOUTQ, &queued);
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    if (WaitFor(POLLOUT, std::min(left, kProbe))) return true;
    int now_queued = -1;
    if (::ioctl(conn_.fd(), SIOCOUTQ, &now_queued) != 0) return false;
    if (now_queued < queued) deadline = SteadyClock::now() + timeouts_.write;
    queued = now_queued;
  }
}

long ConnectionStream::Read(char* ptr, size_t size) {
  // A reply still gathered (say, "100 Continue") may be what the peer waits
  // for before it sends.
  if (!pending_.empty() && !Flush()) return -1;
  if (conn_.buffered() > 0) return static_cast<long>(conn_.TakeBuffered(ptr, size));
  for (;;) {
    // Small reads go through the read-ahead buffer; large ones straight into
    // the caller's memory.
    const bool buffered = size < Connection::kBufferSize;
    const long n = buffered ? conn_.Fill() : conn_.Recv(ptr, size);
    if (n > 0) {
      return buffered ? static_cast<long>(conn_.TakeBuffered(ptr, size)) : n;
    }
    if (n == 0) return 0;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    if (!WaitFor(conn_.WantsWrite() ? POLLOUT : POLLIN, ReadBudget())) {
      (in_header_ ? counters_.header_timeouts : counters_.read_timeouts)
          .fetch_add(1, std::memory_order_relaxed);
      return -1;
    }
  }
}

bool ConnectionStream::Write(std::string_view bytes) {
  if (pending_.size() + bytes.size() <= kCoalesceBytes) {
    pending_.append(bytes);
    return true;
  }
  return SendAll(bytes.data(), bytes.size());
}

bool ConnectionStream::Flush() {
  return pending_.empty() || SendAll(nullptr, 0);
}

bool ConnectionStream::SendFile(int fd, uint64_t offset, uint64_t length) {
  if (conn_.tls()) return SendFileTls(fd, offset, length);
  // MSG_MORE: the header block leaves in the same segment as the first bytes.
  if (!pending_.empty() && !SendAll(nullptr, 0, MSG_MORE)) return false;
  auto at = static_cast<off_t>(offset);
  uint64_t left = length;
  while (left > 0) {
    const ssize_t n = ::sendfile(conn_.fd(), fd, &at, left);
    if (n > 0) {
      left -= static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) return false;  // the file is shorter than promised
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
    if (!WaitWritable()) {
      counters_.write_timeouts.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  }
  return true;
}

bool ConnectionStream::SendFileTls(int fd, uint64_t offset, uint64_t length) {
  // sendfile(2) would send the file's plain bytes: they are read and
  // encrypted here instead, the gathered header block in front of the first
  // chunk (a chunk is four full TLS records).
  constexpr size_t kChunk = 64 * 1024;
  std::string chunk = std::move(pending_);
  pending_.clear();
  const size_t head = chunk.size();
  chunk.resize(head + static_cast<size_t>(std::min<uint64_t>(length, kChunk)));
  size_t filled = head;
  auto at = static_cast<off_t>(offset);
  uint64_t left = length;
  while (left > 0 || filled > 0) {
    while (left > 0 && filled < chunk.size()) {
      const ssize_t n =
          ::pread(fd, chunk.data() + filled, std::min<uint64_t>(left, chunk.size() - filled), at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;  // an I/O error, or the file is shorter than promised
      filled += static_cast<size_t>(n);
      at += n;
      left -= static_cast<uint64_t>(n);
    }
    if (!SendTls(chunk.data(), filled)) return false;
    filled = 0;
  }
  return true;
}

bool ConnectionStream::SendTls(const char* ptr, size_t size) {
  while (size > 0) {
    const long n = conn_.Send(ptr, size);
    if (n > 0) {
      ptr += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (errno != EAGAIN) return false;
    // The same bytes are offered again once the socket is ready (OpenSSL's rule).
    const bool ready = conn_.WantsWrite() ? WaitWritable() : WaitFor(POLLIN, timeouts_.write);
    if (!ready) {
      counters_.write_timeouts.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  }
  return true;
}

bool ConnectionStream::SendAll(const char* ptr, size_t size, int flags) {
  if (conn_.tls()) {
    const bool sent = SendTls(pending_.data(), pending_.size()) && SendTls(ptr, size);
    pending_.clear();
    return sent;
  }
  iovec parts[2] = {{pending_.data(), pending_.size()}, {const_cast<char*>(ptr), size}};
  iovec* part = parts;
  int count = 2;
  while (count > 0) {
    if (part->iov_len == 0) {
      ++part;
      --count;
      continue;
    }
    msghdr msg{};
    msg.msg_iov = part;
    msg.msg_iovlen = static_cast<size_t>(count);
    const ssize_t n = ::sendmsg(conn_.fd(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL | flags);
    if (n > 0) {
      for (auto left = static_cast<size_t>(n); left > 0;) {
        const size_t step = std::min(left, part->iov_len);
        part->iov_base = static_cast<char*>(part->iov_base) + step;
        part->iov_len -= step;
        left -= step;
        if (part->iov_len == 0) {
          ++part;
          --count;
        }
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;
    if (!WaitWritable()) {
      counters_.write_timeouts.fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  const bool sent = count == 0;
  pending_.clear();
  return sent;
}

}  // namespace fsvc
