#include "http/body_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace fsvc {
namespace {

// A source handing out `data` at most `step` bytes per read, then EOF.
struct Feed {
  std::string data;
  size_t step = 1 << 20;
  size_t pos = 0;
  long operator()(char* buf, size_t n) {
    const size_t take = std::min({n, step, data.size() - pos});
    std::copy_n(data.data() + pos, take, buf);
    pos += take;
    return static_cast<long>(take);
  }
};

BodyReader::Limits Limit(uint64_t max) {
  BodyReader::Limits l;
  l.max_bytes = max;
  return l;
}

Result<std::string> ReadWith(BodyFraming f, const std::string& wire, size_t step, uint64_t max,
                             std::string* leftover = nullptr) {
  Feed feed{wire, step};
  BodyReader r(f, Limit(max), [&feed](char* b, size_t n) { return feed(b, n); });
  std::string got;
  auto st = r.ReadAll([&got](std::string_view p) {
    got.append(p);
    return OkStatus();
  });
  if (!st) return st.error();
  EXPECT_TRUE(r.complete());
  if (leftover) *leftover = std::string(r.leftover()) + wire.substr(feed.pos);
  return got;
}

const BodyFraming kChunked{BodyFraming::kChunked, 0};

TEST(BodyReaderTest, LengthBodyStopsAtItsEnd) {
  std::string rest;
  auto got = ReadWith({BodyFraming::kLength, 5}, "helloGET /next", 3, 100, &rest);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "hello");
  EXPECT_EQ(rest, "GET /next");
}

TEST(BodyReaderTest, ChunkedDecodesAtEveryReadSize) {
  const std::string wire = "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nGET /n";
  for (size_t step = 1; step <= wire.size(); ++step) {
    std::string rest;
    auto got = ReadWith(kChunked, wire, step, 100, &rest);
    ASSERT_TRUE(got.ok()) << step << ": " << got.error().message;
    EXPECT_EQ(*got, "hello0123456789");
    EXPECT_EQ(rest, "GET /n") << step;
  }
}

TEST(BodyReaderTest, RefusesMalformedChunking) {
  for (const char* bad : {"zz\r\nhi\r\n0\r\n\r\n", "\r\nhi\r\n0\r\n\r\n", "2\r\nhiX\r\n0\r\n\r\n",
                          "1000000000000000\r\n", "2\r\nhi"}) {
    auto got = ReadWith(kChunked, bad, 7, 1 << 20);
    EXPECT_FALSE(got.ok()) << bad;
  }
}

TEST(BodyReaderTest, CountsChunkedBytesAgainstTheLimit) {
  std::string wire;
  for (int i = 0; i < 20; ++i) wire += "400\r\n" + std::string(1024, 'x') + "\r\n";
  wire += "0\r\n\r\n";
  auto got = ReadWith(kChunked, wire, 4096, 10 * 1024);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::kPayloadTooLarge);
}

TEST(BodyReaderTest, EarlyEndIsAnError) {
  auto got = ReadWith({BodyFraming::kLength, 10}, "short", 100, 100);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::kInvalidArgument);
}

TEST(BodyReaderTest, TrickleBelowTheMinimumRateTimesOut) {
  BodyReader::Limits l = Limit(1 << 20);
  l.min_rate = 1000;
  l.window = std::chrono::milliseconds(50);
  BodyReader r({BodyFraming::kLength, 1000}, l, [](char* b, size_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    b[0] = 'x';
    return 1L;
  });
  auto st = r.ReadAll([](std::string_view) { return OkStatus(); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kRequestTimeout);
  EXPECT_FALSE(r.complete());
}

TEST(BodyReaderTest, BeforeReadRunsOnceAndOnlyWhenThereIsABody) {
  int calls = 0;
  Feed feed{"abc"};
  BodyReader r(
      {BodyFraming::kLength, 3}, Limit(10), [&feed](char* b, size_t n) { return feed(b, n); },
      [&calls] { return ++calls > 0; });
  ASSERT_TRUE(r.ReadAll([](std::string_view) { return OkStatus(); }).ok());
  EXPECT_EQ(calls, 1);
  BodyReader none(
      {}, Limit(10), [](char*, size_t) { return -1L; }, [&calls] { return ++calls > 0; });
  ASSERT_TRUE(none.ReadAll([](std::string_view) { return OkStatus(); }).ok());
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace fsvc
