// The s3 backend with its store down (nothing listens at the endpoint): the
// service starts, says so on /health, and answers every request that needs
// the store with 503 unavailable and Retry-After at once, never a hang or a
// crash. Needs no Ceph: it runs with the local-backend suite.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>

#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

// A port on 127.0.0.1 that nothing listens on: bound, then closed.
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(StoreDownTest, EveryStoreRouteIs503WithRetryAfter) {
  ServerProcess::Options options;
  options.args = {
      "--storage=s3",      "--s3-endpoint=http://127.0.0.1:" + std::to_string(ClosedPort()),
      "--s3-bucket=down",  "--s3-access-key=a",
      "--s3-secret-key=b", "--link-secret=store-down-test-link-secret-0123456789"};
  ServerProcess server(options);
  ASSERT_TRUE(server.Start()) << server.Stderr();
  EXPECT_NE(server.Stderr().find("stale uploads not swept"), std::string::npos) << server.Stderr();
  auto c = server.Client(10);

  auto health = c->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_NE(Json(health)["checks"]["bucket"].get<std::string>().find("cannot connect"),
            std::string::npos)
      << health->body;
  EXPECT_EQ(c->Get("/ping")->status, 200) << "the process itself is alive";

  // The client gives up after 10 s: an answer at all means no hang (a
  // refused connection fails at once).
  const std::function<httplib::Result()> requests[] = {
      [&] { return c->Get("/files/a.txt"); },
      [&] { return c->Put("/files/a.txt", "bytes", "text/plain"); },
      [&] { return c->Get("/list?path=/"); },
      [&] { return c->Get("/download?path=a.txt"); },
      [&] { return c->Delete("/files/a.txt"); },
      [&] { return c->Post("/create-folder?path=f", "", "text/plain"); }};
  for (const auto& request : requests) {
    auto res = request();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 503) << res->body;
    EXPECT_EQ(ErrorCode(res), "unavailable") << res->body;
    EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  }
  EXPECT_TRUE(server.Running());
}

}  // namespace
}  // namespace fsvc::testing
