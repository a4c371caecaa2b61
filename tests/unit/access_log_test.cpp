#include "http/access_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace fsvc {
namespace {

TEST(AccessLogFormat, EveryFieldAndValidJsonForAnyPath) {
  AccessRecord r;
  r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764694800123));
  r.request_id = "abc-1";
  r.client = "127.0.0.1";
  r.method = "GET";
  r.route = "/files/{path...}";
  r.path = "/files/a\"b\\c\n\xff.txt";  // a quote, a backslash, a newline, invalid UTF-8
  r.status = 200;
  r.bytes_in = 0;
  r.bytes_out = 42;
  r.duration = std::chrono::microseconds(1500);
  r.outcome = "ok";
  const std::string line = AccessLog::Format(r);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  const auto j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << line;
  EXPECT_EQ(j["time"], "2025-12-02T17:00:00.123Z");
  EXPECT_EQ(j["request_id"], "abc-1");
  EXPECT_EQ(j["key_id"], "");
  EXPECT_EQ(j["route"], "/files/{path...}");
  EXPECT_EQ(j["path"].get<std::string>().substr(0, 12), "/files/a\"b\\c");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["bytes_out"], 42);
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 1.5);
  EXPECT_EQ(j["outcome"], "ok");
}

TEST(RequestIds, ValidAndFresh) {
  EXPECT_TRUE(IsValidRequestId("proxy-id.42:x_y"));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId("a\"b"));
  EXPECT_FALSE(IsValidRequestId(std::string(129, 'a')));
  const std::string a = NewRequestId(), b = NewRequestId();
  EXPECT_NE(a, b);
  EXPECT_TRUE(IsValidRequestId(a));
}

}  // namespace
}  // namespace fsvc
