// Reads one request body as its head framed it, and not a byte more.
//
// Content-Length bodies are read to their length, chunked ones decoded
// (chunk extensions ignored, trailers read and dropped, within bounds), so
// whatever follows on the connection is the next request's and only that.
// Bounded in every direction: at most `max_bytes` of body (413), a chunk
// size line or the trailers of at most a few KiB (400), and a minimum rate:
// each `window` must bring `min_rate` bytes per second on average (408), so
// a client trickling a byte a second cannot hold a thread for long. The
// reader's buffer is its only memory: the sink gets each piece as it comes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "http/message.h"
#include "http/request_head.h"

namespace fsvc {

class BodyReader {
 public:
  struct Limits {
    uint64_t max_bytes = 0;
    uint64_t min_rate = 0;  // bytes per second; 0: no minimum
    std::chrono::milliseconds window{10000};
  };
  // Reads up to n bytes: > 0 bytes read, 0 when the peer closed, < 0 when
  // the read failed or timed out.
  using Source = std::function<long(char* buf, size_t n)>;
  // Runs once, before the first read (sends "100 Continue" when the client
  // waits for it); false aborts the read.
  using BeforeRead = std::function<bool()>;
  using Clock = std::chrono::steady_clock;

  BodyReader(BodyFraming framing, Limits limits, Source source, BeforeRead before_read = {});

  // Reads the whole body into `sink` (see BodySink in http/message.h).
  Status ReadAll(const BodySink& sink);
  // True once the body has been read to its framed end (or it had none).
  bool complete() const { return done_; }
  uint64_t bytes_read() const { return total_; }
  // Bytes read from the source past the body's end (a chunked body's end is
  // found only by reading): they belong to the next request.
  std::string_view leftover() const {
    return done_ && buf_ ? std::string_view(buf_.get() + begin_, end_ - begin_)
                         : std::string_view();
  }

 private:
  // Reads at least one and at most `want` more bytes into the buffer.
  Status Fill(size_t want);
  Status ReadLine(std::string& line, size_t max);
  Status Deliver(const BodySink& sink, uint64_t n);
  Status CheckRate(size_t just_read);

  const BodyFraming framing_;
  const Limits limits_;
  Source source_;
  BeforeRead before_read_;
  std::unique_ptr<char[]> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  uint64_t total_ = 0;
  bool done_ = false;
  bool started_ = false;
  Clock::time_point window_start_{};
  uint64_t window_bytes_ = 0;
};

}  // namespace fsvc
