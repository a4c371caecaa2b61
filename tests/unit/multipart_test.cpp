// The streaming multipart parser: the same parts whatever the chunking,
// preamble and epilogue ignored, malformed bodies refused.
#include "http/multipart.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fsvc {
namespace {

struct Parsed {
  MultipartParser::Part part;
  std::string data;
};

struct Outcome {
  std::vector<Parsed> parts;
  Status status = OkStatus();  // of the first failing Feed, else of Finish
};

// Feeds `body` in pieces of `chunk` bytes (0: all at once).
Outcome Parse(std::string_view body, size_t chunk = 0, std::string_view boundary = "xB") {
  Outcome out;
  MultipartParser parser(boundary, {[&out](const MultipartParser::Part& p) {
                                      out.parts.push_back({p, ""});
                                      return OkStatus();
                                    },
                                    [&out](std::string_view d) {
                                      out.parts.back().data.append(d);
                                      return OkStatus();
                                    }});
  if (chunk == 0) chunk = body.size() + 1;
  for (size_t at = 0; at < body.size(); at += chunk) {
    if (auto st = parser.Feed(body.substr(at, chunk)); !st) {
      out.status = st;
      return out;
    }
  }
  out.status = parser.Finish();
  return out;
}

const std::string kForm =
    "--xB\r\n"
    "Content-Disposition: form-data; name=\"path\"\r\n"
    "\r\n"
    "docs\r\n"
    "--xB\r\n"
    "content-disposition: form-data; NAME=\"file\"; Filename=\"a \\\"b\\\".txt\"\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "line one\r\n--xA\r\n-xB\r\n--x\r\n"
    "--xB\r\n"
    "Content-Disposition: form-data; name=file; filename=empty\r\n"
    "\r\n"
    "\r\n"
    "--xB--\r\n";

void ExpectForm(const Outcome& o) {
  ASSERT_TRUE(o.status.ok()) << o.status.error().message;
  ASSERT_EQ(o.parts.size(), 3u);
  EXPECT_EQ(o.parts[0].part.name, "path");
  EXPECT_EQ(o.parts[0].part.filename, "");
  EXPECT_EQ(o.parts[0].data, "docs");
  EXPECT_EQ(o.parts[1].part.name, "file");
  EXPECT_EQ(o.parts[1].part.filename, "a \"b\".txt");
  EXPECT_EQ(o.parts[1].part.content_type, "text/plain");
  EXPECT_EQ(o.parts[1].data, "line one\r\n--xA\r\n-xB\r\n--x");
  EXPECT_EQ(o.parts[2].part.filename, "empty");
  EXPECT_EQ(o.parts[2].data, "");
}

TEST(MultipartTest, ParsesAForm) {
  ExpectForm(Parse(kForm));
}

TEST(MultipartTest, SameResultAtEveryChunkSize) {
  for (size_t chunk = 1; chunk <= kForm.size(); ++chunk) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    ExpectForm(Parse(kForm, chunk));
  }
}

TEST(MultipartTest, SameResultSplitAtEveryByte) {
  const std::string body = kForm;
  for (size_t cut = 1; cut < body.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    Outcome out;
    MultipartParser parser("xB", {[&out](const MultipartParser::Part& p) {
                                    out.parts.push_back({p, ""});
                                    return OkStatus();
                                  },
                                  [&out](std::string_view d) {
                                    out.parts.back().data.append(d);
                                    return OkStatus();
                                  }});
    ASSERT_TRUE(parser.Feed(std::string_view(body).substr(0, cut)).ok());
    ASSERT_TRUE(parser.Feed(std::string_view(body).substr(cut)).ok());
    out.status = parser.Finish();
    ExpectForm(out);
  }
}

TEST(MultipartTest, PreambleEpilogueAndPaddingIgnored) {
  const Outcome o = Parse(
      "a preamble, --xB not at a line start\r\n"
      "--xB \t \r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n"
      "--xB--trailing\r\n--xB\r\nContent-Disposition: form-data; name=\"g\"\r\n\r\nw");
  ASSERT_TRUE(o.status.ok()) << o.status.error().message;
  ASSERT_EQ(o.parts.size(), 1u);
  EXPECT_EQ(o.parts[0].data, "v");
}

TEST(MultipartTest, BodyBytesAreHandedOnWithLittleHeldBack) {
  size_t handed = 0;
  MultipartParser counting("xB", {[](const MultipartParser::Part&) { return OkStatus(); },
                                  [&handed](std::string_view d) {
                                    handed += d.size();
                                    return OkStatus();
                                  }});
  ASSERT_TRUE(counting.Feed("--xB\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n").ok());
  ASSERT_TRUE(counting.Feed(std::string(10000, 'z')).ok());
  // Only what could begin a delimiter ("\r\n--xB" less one byte) waits.
  EXPECT_GE(handed, 10000u - 5);
  EXPECT_FALSE(counting.Finish().ok());
}

TEST(MultipartTest, MalformedBodiesAreRefused) {
  const std::string disp = "Content-Disposition: form-data; name=\"f\"\r\n";
  for (const std::string& body : std::vector<std::string>{
           "",
           "no delimiter at all",
           "--xB\r\n" + disp + "\r\nno closing delimiter",
           "--xB\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n--xB--",
           "--xB\r\nContent-Disposition: attachment; name=\"f\"\r\n\r\nx\r\n--xB--",
           "--xB\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nno name\r\n--xB--",
           "--xB\r\nContent-Disposition: form-data; name=\"open\r\n\r\nx\r\n--xB--",
           "--xB\r\n" + disp + disp + "\r\ntwice\r\n--xB--",
           "--xB\r\n" + disp + " folded: line\r\n\r\nx\r\n--xB--",
           "--xB\r\nno colon\r\n\r\nx\r\n--xB--",
           "--xBjunk\r\n" + disp + "\r\nx\r\n--xB--",
           "--xB\r\n" + disp + "\r\nx\r\n--xB" + std::string(9000, ' ') + "\r\n",
       }) {
    SCOPED_TRACE(body.substr(0, 80));
    for (size_t chunk : {size_t{0}, size_t{1}, size_t{7}}) {
      const Outcome o = Parse(body, chunk);
      ASSERT_FALSE(o.status.ok());
      EXPECT_EQ(o.status.error().code, Errc::kInvalidArgument);
    }
  }
}

TEST(MultipartTest, HeaderSectionIsBounded) {
  const std::string lines = "Content-Disposition: form-data; name=\"f\"\r\nX-Pad: ";
  const auto with_header = [&lines](size_t value_bytes) {
    return "--xB\r\n" + lines + std::string(value_bytes, 'p') + "\r\n\r\nbody\r\n--xB--\r\n";
  };
  const size_t fits = MultipartParser::kMaxPartHeaderBytes - lines.size();
  for (size_t chunk : {size_t{0}, size_t{1}, size_t{1000}}) {
    EXPECT_TRUE(Parse(with_header(fits), chunk).status.ok()) << chunk;
    EXPECT_FALSE(Parse(with_header(fits + 1), chunk).status.ok()) << chunk;
    EXPECT_FALSE(Parse(with_header(64 << 10), chunk).status.ok()) << chunk;
  }
}

TEST(MultipartTest, CallbackErrorsEndTheParse) {
  MultipartParser parser("xB", {[](const MultipartParser::Part&) {
                                  return Status(Error{Errc::kFormTooLarge, "no more"});
                                },
                                [](std::string_view) { return OkStatus(); }});
  auto st = parser.Feed("--xB\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kFormTooLarge);
}

}  // namespace
}  // namespace fsvc
