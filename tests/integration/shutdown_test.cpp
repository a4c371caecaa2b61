// The exit status of a SIGTERM shutdown against the real binary: 0 when
// every request finished within SHUTDOWN_GRACE, 75 (EX_TEMPFAIL) with a log
// line counting them when the grace ran out and requests were cut off.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "raw_http.h"
#include "server_process.h"

namespace fsvc::testing {
namespace {

constexpr int kExitRequestsCutOff = 75;  // src/platform/signals.h

bool SendAll(int fd, const std::string& bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

// Requests the server has started and not finished, besides the one asking.
int64_t OtherRequestsInFlight(const ServerProcess& server) {
  auto res = server.Client(5)->Get("/metrics/requests");
  if (!res || res->status != 200) return -1;
  const auto body = nlohmann::json::parse(res->body, nullptr, false);
  return body.is_object() ? body.value("active", int64_t{0}) - 1 : -1;
}

TEST(ShutdownTest, RequestsCutOffByTheGracePeriodMakeTheExitStatusNonZero) {
  ServerProcess server({{}, {{"SHUTDOWN_GRACE", "1"}}, {}, {}});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  // An upload that announces 1 MB and sends 1 KB: in flight until cut off.
  UniqueFd upload = ConnectRaw(server.port());
  ASSERT_TRUE(upload.valid());
  ASSERT_TRUE(SendAll(upload.get(),
                      "PUT /files/x HTTP/1.1\r\nHost: test\r\n"
                      "Content-Type: application/octet-stream\r\n"
                      "Content-Length: 1000000\r\n\r\n" +
                          std::string(1024, 'x')));
  for (int i = 0; i < 100 && OtherRequestsInFlight(server) < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(OtherRequestsInFlight(server), 1) << server.Stderr();

  const auto signalled = std::chrono::steady_clock::now();
  const int ws = server.Stop(SIGTERM);
  const auto took = std::chrono::steady_clock::now() - signalled;
  ASSERT_TRUE(WIFEXITED(ws)) << ws << "\n" << server.Stderr();
  EXPECT_EQ(WEXITSTATUS(ws), kExitRequestsCutOff) << server.Stderr();
  EXPECT_GE(took, std::chrono::milliseconds(900));  // the grace was given
  EXPECT_LT(took, std::chrono::seconds(8));
  EXPECT_NE(server.Stderr().find("shutdown grace period over: 1 request cut off"),
            std::string::npos)
      << server.Stderr();
}

TEST(ShutdownTest, CleanShutdownWithNothingInFlightExitsZero) {
  ServerProcess server({{}, {{"SHUTDOWN_GRACE", "1"}}, {}, {}});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto put = server.Client()->Put("/files/done.txt", "finished", "text/plain");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 201);
  // An idle keep-alive connection is not a request: nothing to cut off.
  UniqueFd idle = ConnectRaw(server.port());
  ASSERT_TRUE(idle.valid());
  ASSERT_TRUE(SendAll(idle.get(), "GET /ping HTTP/1.1\r\nHost: test\r\n\r\n"));
  char buf[512];
  ASSERT_GT(::recv(idle.get(), buf, sizeof buf, 0), 0);

  const int ws = server.Stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(ws)) << ws << "\n" << server.Stderr();
  EXPECT_EQ(WEXITSTATUS(ws), 0) << server.Stderr();
  EXPECT_EQ(server.Stderr().find("cut off"), std::string::npos) << server.Stderr();
}

}  // namespace
}  // namespace fsvc::testing
