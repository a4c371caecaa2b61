#include "http/body_reader.h"

#include <algorithm>
#include <string>

#include "util/hex.h"

namespace fsvc {
namespace {

constexpr size_t kBufferBytes = 64 * 1024;
// A chunk-size line (with extensions) and the trailer section: real clients
// send a few bytes of each.
constexpr size_t kMaxChunkLine = 4096;
constexpr size_t kMaxTrailerBytes = 8192;
// What a line read asks the source for: a chunked body's end is only known
// once read, so the bytes read past it (the next request's) stay few enough
// to hand back to the connection.
constexpr size_t kLineReadBytes = 1024;

Error BadChunking(const std::string& why) {
  return Error{Errc::kInvalidArgument, "malformed chunked body: " + why};
}

}  // namespace

BodyReader::BodyReader(BodyFraming framing, Limits limits, Source source, BeforeRead before_read)
    : framing_(framing),
      limits_(limits),
      source_(std::move(source)),
      before_read_(std::move(before_read)) {
  done_ = !framing_.HasBody();
}

Status BodyReader::CheckRate(size_t just_read) {
  if (limits_.min_rate == 0) return OkStatus();
  window_bytes_ += just_read;
  const auto now = Clock::now();
  if (now - window_start_ < limits_.window) return OkStatus();
  const auto seconds = std::chrono::duration<double>(now - window_start_).count();
  if (static_cast<double>(window_bytes_) < static_cast<double>(limits_.min_rate) * seconds) {
    return Error{Errc::kRequestTimeout,
                 "the request body arrived at " +
                     std::to_string(static_cast<uint64_t>(window_bytes_ / seconds)) +
                     " bytes/s, below the minimum of " + std::to_string(limits_.min_rate)};
  }
  window_start_ = now;
  window_bytes_ = 0;
  return OkStatus();
}

Status BodyReader::Fill(size_t want) {
  if (!started_) {
    started_ = true;
    window_start_ = Clock::now();
    if (before_read_ && !before_read_()) {
      return Error{Errc::kInvalidArgument, "the client went away"};
    }
  }
  if (!buf_) buf_ = std::make_unique_for_overwrite<char[]>(kBufferBytes);
  if (begin_ == end_) begin_ = end_ = 0;
  if (end_ == kBufferBytes) {
    std::copy(buf_.get() + begin_, buf_.get() + end_, buf_.get());
    end_ -= begin_;
    begin_ = 0;
  }
  const long n = source_(buf_.get() + end_, std::min(want, kBufferBytes - end_));
  if (n == 0) return Error{Errc::kInvalidArgument, "the request body ended early"};
  if (n < 0) {
    return Error{Errc::kRequestTimeout, "the request body stalled or could not be read"};
  }
  end_ += static_cast<size_t>(n);
  return CheckRate(static_cast<size_t>(n));
}

Status BodyReader::ReadLine(std::string& line, size_t max) {
  line.clear();
  for (;;) {
    if (begin_ == end_) {
      if (auto st = Fill(kLineReadBytes); !st) return st;
    }
    const char c = buf_[begin_++];
    if (c == '\n') {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return OkStatus();
    }
    if (line.size() >= max) return BadChunking("line over " + std::to_string(max) + " bytes");
    line += c;
  }
}

Status BodyReader::Deliver(const BodySink& sink, uint64_t n) {
  while (n > 0) {
    if (begin_ == end_) {
      if (auto st = Fill(static_cast<size_t>(std::min<uint64_t>(n, kBufferBytes))); !st) return st;
    }
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n, end_ - begin_));
    total_ += take;
    if (total_ > limits_.max_bytes) {
      return Error{Errc::kPayloadTooLarge, "request body over the limit of " +
                                               std::to_string(limits_.max_bytes) + " bytes"};
    }
    const std::string_view piece(buf_.get() + begin_, take);
    begin_ += take;
    n -= take;
    if (auto st = sink(piece); !st) return st;
  }
  return OkStatus();
}

Status BodyReader::ReadAll(const BodySink& sink) {
  if (done_) return OkStatus();
  if (framing_.kind == BodyFraming::kLength) {
    if (auto st = Deliver(sink, framing_.length); !st) return st;
    done_ = true;
    return OkStatus();
  }
  std::string line;
  for (;;) {
    if (auto st = ReadLine(line, kMaxChunkLine); !st) return st;
    const std::string_view size_text = std::string_view(line).substr(0, line.find(';'));
    uint64_t size = 0;
    size_t digits = 0;
    for (char c : size_text) {
      if (c == ' ' || c == '\t') break;  // whitespace before an extension
      const int v = HexDigitValue(c);
      if (v < 0) return BadChunking("chunk size is not hexadecimal");
      if (++digits > 15) return BadChunking("chunk size too large");
      size = size * 16 + static_cast<uint64_t>(v);
    }
    if (digits == 0) return BadChunking("missing chunk size");
    if (size == 0) break;
    if (auto st = Deliver(sink, size); !st) return st;
    if (auto st = ReadLine(line, 1); !st) return st;
    if (!line.empty()) return BadChunking("chunk data longer than its size");
  }
  // Trailer fields, up to the blank line; their values are not used.
  size_t trailer_bytes = 0;
  for (;;) {
    if (auto st = ReadLine(line, kMaxChunkLine); !st) return st;
    if (line.empty()) break;
    trailer_bytes += line.size();
    if (trailer_bytes > kMaxTrailerBytes) return BadChunking("trailers too large");
  }
  done_ = true;
  return OkStatus();
}

}  // namespace fsvc
