#include "http/file_body.h"

#include <unistd.h>

#include <algorithm>
#include <array>

#include "http/connection_stream.h"

namespace fsvc {
namespace {

// Bytes per call when the kernel copies: no memory of ours is involved, so
// the slice only bounds how long one write may run before httplib checks
// that the client is still there.
constexpr size_t kSendfileSlice = 1 << 20;
// Bytes per call through user space: the per-download buffer.
constexpr size_t kBufferedSlice = 64 * 1024;

}  // namespace

bool WriteFileSlice(httplib::DataSink& sink, int fd, uint64_t offset, size_t want) {
  if (ConnectionStream* stream = ConnectionStream::Current()) {
    const size_t n = std::min(want, kSendfileSlice);
    stream->TakeNextWriteFromFile(fd, offset);
    // The stream sends the file's bytes; these are never read.
    static const char kUnread = 0;
    return sink.write(&kUnread, n);
  }
  std::array<char, kBufferedSlice> buf;
  const size_t n = std::min(want, buf.size());
  const ssize_t got = ::pread(fd, buf.data(), n, static_cast<off_t>(offset));
  if (got <= 0) return false;
  return sink.write(buf.data(), static_cast<size_t>(got));
}

}  // namespace fsvc
