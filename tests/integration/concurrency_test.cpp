// Connections that are idle, slow or stalled cannot take the server from
// other clients, and overload is refused instead of queued without limit.
// The server runs with one pool thread and small deadlines, so any thread a
// connection wrongly held would show as a blocked request at once.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

using namespace std::chrono_literals;

// A raw client socket, so a test can misbehave byte by byte.
class RawClient {
 public:
  explicit RawClient(int port, int rcvbuf = 0) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    // A small receive buffer must be set before connecting to shrink the window.
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;

  bool connected() const { return connected_; }
  bool Send(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // Reads until `marker` has arrived, EOF, or `timeout`; returns all read.
  std::string ReadUntil(const std::string& marker, std::chrono::milliseconds timeout) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got.find(marker) == std::string::npos) {
      const ssize_t n = ReadSome(got, deadline);
      if (n <= 0) break;
    }
    return got;
  }
  // Waits for the peer to close; true if it did (EOF or reset) before `timeout`.
  bool WaitClosed(std::chrono::milliseconds timeout) {
    std::string ignored;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const ssize_t n = ReadSome(ignored, deadline);
      if (n == 0 || (n < 0 && errno != ETIMEDOUT)) return true;
      if (n < 0) return false;
    }
  }
  // One recv into `out` of up to `max` bytes, waiting until `deadline`; -1
  // with errno ETIMEDOUT when nothing came.
  ssize_t ReadSome(std::string& out, std::chrono::steady_clock::time_point deadline,
                   size_t max = 64 * 1024) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    std::string buf(max, '\0');
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n > 0) out.append(buf.data(), static_cast<size_t>(n));
    return n;
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::string Get(const std::string& path, bool close = false) {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         (close ? "Connection: close\r\n" : "") + "\r\n";
}

nlohmann::json ServerFigures(const ServerProcess& server) {
  return Json(server.Client(5)->Get("/health"))["server"];
}

// One pool thread: whatever holds it blocks everyone else.
ServerProcess::Options OneThread(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--threads=1", "--keep-alive-timeout=60"};
  args.insert(args.end(), extra.begin(), extra.end());
  return {args, {}, {}, ""};
}

TEST(ConcurrencyTest, IdleKeepAliveConnectionDoesNotBlockAnotherClient) {
  ServerProcess server(OneThread({}));
  ASSERT_TRUE(server.Start()) << server.Stderr();
  RawClient idle(server.port());
  ASSERT_TRUE(idle.connected());
  ASSERT_TRUE(idle.Send(Get("/ping")));
  ASSERT_NE(idle.ReadUntil("pong", 5s).find("200 OK"), std::string::npos);
  // `idle` stays open and silent; httplib's own pool would keep the only
  // thread waiting on it for the keep-alive timeout (60 s).
  auto other = server.Client(5);
  for (int i = 0; i < 3; ++i) {
    auto res = other->Get("/ping");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);
  }
  const auto figures = ServerFigures(server);
  EXPECT_GE(figures["connections"]["parked"].get<int>(), 1) << figures.dump();
  EXPECT_EQ(figures["threads"]["max"].get<int>(), 1);
  // Nothing blocked the thread, so no work ever waited for another.
  EXPECT_EQ(figures["threads"]["handoffs"].get<int>(), 0) << figures.dump();
  // And the idle connection still works.
  ASSERT_TRUE(idle.Send(Get("/ping")));
  EXPECT_NE(idle.ReadUntil("pong", 5s).find("200 OK"), std::string::npos);
}

TEST(ConcurrencyTest, SlowlorisIsClosedByTheHeaderDeadline) {
  ServerProcess server(OneThread({"--header-timeout=1"}));
  ASSERT_TRUE(server.Start()) << server.Stderr();
  RawClient slow(server.port());
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.Send("GET /ping HTTP/1.1\r\nHost: x\r\n"));
  const auto started = std::chrono::steady_clock::now();
  bool closed = false;
  // One header byte every 100 ms, never finishing the header.
  while (!closed && std::chrono::steady_clock::now() - started < 10s) {
    if (!slow.Send("X")) {
      closed = true;
      break;
    }
    // The trickling client holds no thread: others are served meanwhile.
    auto res = server.Client(5)->Get("/ping");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);
    closed = slow.WaitClosed(100ms);
  }
  EXPECT_TRUE(closed) << "a client trickling its header was still connected after 10 s";
  EXPECT_GE(ServerFigures(server)["timeouts"]["header"].get<int>(), 1);
}

TEST(ConcurrencyTest, AdmissionQueueRefusesBeyondItsBound) {
  ServerProcess server(OneThread({"--admission-queue=1"}));
  ASSERT_TRUE(server.Start()) << server.Stderr();
  // The only thread is taken by an upload whose body has not arrived yet.
  RawClient upload(server.port());
  ASSERT_TRUE(upload.connected());
  ASSERT_TRUE(
      upload.Send("PUT /files/held.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf-"));
  std::this_thread::sleep_for(300ms);
  // One request fits the queue...
  RawClient queued(server.port());
  ASSERT_TRUE(queued.Send(Get("/ping")));
  std::this_thread::sleep_for(300ms);
  // ...the next is refused at once, without waiting for the thread.
  RawClient refused(server.port());
  ASSERT_TRUE(refused.Send(Get("/ping")));
  const std::string answer = refused.ReadUntil("\r\n\r\n", 5s);
  EXPECT_NE(answer.find("503"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Retry-After: 1"), std::string::npos) << answer;
  EXPECT_TRUE(refused.WaitClosed(5s));
  // Once the upload completes, the queued request is served normally.
  ASSERT_TRUE(upload.Send("done!"));
  EXPECT_NE(upload.ReadUntil("}", 5s).find("201 Created"), std::string::npos);
  EXPECT_NE(queued.ReadUntil("pong", 5s).find("200 OK"), std::string::npos);
  const auto figures = ServerFigures(server);
  EXPECT_EQ(figures["rejected"]["queue_full"].get<int>(), 1) << figures.dump();
  EXPECT_EQ(figures["queue"]["limit"].get<int>(), 1);
}

TEST(ConcurrencyTest, UploadsBeyondTheConcurrencyLimitAreRefused) {
  ServerProcess server({{"--max-concurrent-uploads=1"}, {}, {}, ""});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  RawClient first(server.port());
  ASSERT_TRUE(first.Send("PUT /files/a.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab"));
  std::this_thread::sleep_for(300ms);
  auto res = server.Client(5)->Put("/files/b.bin", std::string(4, 'b'), "application/octet-stream");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  ASSERT_TRUE(first.Send("cd"));
  EXPECT_NE(first.ReadUntil("}", 5s).find("201 Created"), std::string::npos);
  // The slot is free again once the first upload has been answered.
  res = server.Client(5)->Put("/files/b.bin", std::string(4, 'b'), "application/octet-stream");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(ServerFigures(server)["uploads"]["rejected"].get<int>(), 1);
}

// Deterministic content, so the slow reader can check every byte.
std::string Content(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 2654435761u) >> 13);
  return s;
}

TEST(ConcurrencyTest, StalledReaderIsDroppedWhileSlowReaderCompletes) {
  ServerProcess server({{"--write-timeout=1"}, {}, {}, ""});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  // Larger than every kernel buffer between the two ends (4 MiB send, 6 MiB receive).
  const std::string body = Content(24u << 20);
  auto put = server.Client(60)->Put("/files/big.bin", body, "application/octet-stream");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 201);

  RawClient stalled(server.port(), 4096);
  ASSERT_TRUE(stalled.Send(Get("/files/big.bin", true)));
  RawClient reader(server.port(), 4096);
  ASSERT_TRUE(reader.Send(Get("/files/big.bin", true)));

  // The reader takes 256 KiB every 20 ms: slow, but never stalled for a whole
  // write timeout.
  std::string received;
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    std::string chunk;
    const auto until = std::chrono::steady_clock::now() + 5s;
    ssize_t n = 0;
    while (chunk.size() < (256u << 10) && (n = reader.ReadSome(chunk, until)) > 0) {
    }
    received += chunk;
    if (n <= 0 || std::chrono::steady_clock::now() > give_up) break;
    std::this_thread::sleep_for(20ms);
  }
  const size_t header_end = received.find("\r\n\r\n");
  ASSERT_NE(header_end, std::string::npos);
  EXPECT_NE(received.find("200 OK"), std::string::npos);
  EXPECT_EQ(received.size() - header_end - 4, body.size());
  EXPECT_TRUE(received.compare(header_end + 4, std::string::npos, body) == 0)
      << "the slow reader's download is not intact";

  // The stalled client never read; by now (seconds later) the server has
  // given up on it: draining it yields only part of the file, then the close.
  std::string partial;
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (stalled.ReadSome(partial, until) > 0) {
  }
  EXPECT_LT(partial.size(), body.size());
  EXPECT_GE(ServerFigures(server)["timeouts"]["write"].get<int>(), 1);
}

}  // namespace
}  // namespace fsvc::testing
