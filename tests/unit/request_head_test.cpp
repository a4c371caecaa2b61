#include "http/request_head.h"

#include <gtest/gtest.h>

namespace fsvc {
namespace {

Result<RequestHead> Parse(std::string_view bytes, size_t max = 8192) {
  return ParseRequestHead(bytes, max);
}

TEST(RequestHeadTest, ParsesLineHeadersPathAndQuery) {
  auto h = Parse(
      "GET /files/a%20b.txt?path=x%2Fy&n=1+2&flag HTTP/1.1\r\nHost: t\r\n"
      "X-Two:  spaced value \t\r\n\r\nBODY");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->method, "GET");
  EXPECT_EQ(h->path, "/files/a b.txt");
  EXPECT_EQ(h->params.find("path")->second, "x/y");
  EXPECT_EQ(h->params.find("n")->second, "1 2");
  EXPECT_EQ(h->params.count("flag"), 1u);
  ASSERT_EQ(h->headers.size(), 2u);
  EXPECT_EQ(h->headers[1].second, "spaced value");
  EXPECT_EQ(h->size, std::string_view("GET /files/a%20b.txt?path=x%2Fy&n=1+2&flag HTTP/1.1\r\n"
                                      "Host: t\r\nX-Two:  spaced value \t\r\n\r\n")
                         .size());
  EXPECT_FALSE(h->http10);
}

TEST(RequestHeadTest, RefusesBareLineFeedsAsTheLibraryDoes) {
  auto h = Parse("GET /ping HTTP/1.0\nHost: t\n\n");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().code, Errc::kInvalidArgument);
  EXPECT_FALSE(Parse("GET /ping HTTP/1.1\r\nHost: t\n\r\n").ok());
  EXPECT_TRUE(Parse("GET /ping HTTP/1.0\r\nHost: t\r\n\r\n")->http10);
}

TEST(RequestHeadTest, RefusesWhatTwoParsersCouldReadDifferently) {
  for (const char* bad : {
           "GET /ping HTTP/1.1\r\nHost : t\r\n\r\n",         // space before the colon
           "GET /ping HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",  // obs-fold
           "GET /ping HTTP/1.1\r\nX: a\rb\r\n\r\n",          // bare CR
           "GET  /ping HTTP/1.1\r\n\r\n",                    // two spaces
           "get /ping HTTP/1.1\r\n\r\n",                     // lower-case method
           "GET http://evil/ping HTTP/1.1\r\n\r\n",          // absolute form
           "GET /ping HTTP/2.0\r\n\r\n",                     // version
           "GET /pi\x01ng HTTP/1.1\r\n\r\n",                 // control character
           "GET /ping HTTP/1.1\r\n: novalue\r\n\r\n",        // empty name
       }) {
    auto h = Parse(bad);
    ASSERT_FALSE(h.ok()) << bad;
    EXPECT_EQ(h.error().code, Errc::kInvalidArgument) << bad;
  }
}

TEST(RequestHeadTest, BoundsTargetAndHeaderBlock) {
  const std::string long_target = "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n";
  EXPECT_EQ(Parse(long_target, 16384).error().code, Errc::kUriTooLong);
  const std::string big = "GET / HTTP/1.1\r\nX: " + std::string(3000, 'b') + "\r\n\r\n";
  EXPECT_EQ(Parse(big, 2048).error().code, Errc::kHeaderTooLarge);
  EXPECT_TRUE(Parse(big, 4096).ok());
}

Result<BodyFraming> Framing(const std::string& headers, bool http10 = false) {
  auto h = Parse(std::string("PUT /f ") + (http10 ? "HTTP/1.0" : "HTTP/1.1") + "\r\n" + headers +
                 "\r\n");
  if (!h) return h.error();
  return ParseFraming(*h);
}

TEST(RequestHeadTest, FramingIsUnambiguousOrRefused) {
  EXPECT_EQ(Framing("")->kind, BodyFraming::kNone);
  EXPECT_FALSE(Framing("")->HasBody());
  EXPECT_FALSE(Framing("Content-Length: 0\r\n")->HasBody());
  EXPECT_EQ(Framing("content-length: 12\r\n")->length, 12u);
  for (const char* te : {"chunked", "CHUNKED", "Chunked"}) {
    auto f = Framing(std::string("Transfer-Encoding: ") + te + "\r\n");
    ASSERT_TRUE(f.ok()) << te;
    EXPECT_EQ(f->kind, BodyFraming::kChunked);
  }
  for (const char* bad : {"Content-Length: 1\r\nContent-Length: 1\r\n", "Content-Length: -1\r\n",
                          "Content-Length: 1x\r\n", "Content-Length: 99999999999999999999\r\n",
                          "Transfer-Encoding: gzip, chunked\r\n",
                          "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                          "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"}) {
    EXPECT_FALSE(Framing(bad).ok()) << bad;
  }
  EXPECT_FALSE(Framing("Transfer-Encoding: chunked\r\n", true).ok());
}

TEST(RequestHeadTest, PercentDecodeKeepsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("a%2Fb%zz%4", false), "a/b%zz%4");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
}

}  // namespace
}  // namespace fsvc
