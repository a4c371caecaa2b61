// Request handling costs: /ping end to end through the real router (loopback,
// one keep-alive connection), and building the JSON bodies handlers send.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>

#include "alloc_counter.h"
#include "api/json_views.h"
#include "api/ops_api.h"
#include "http/error_response.h"
#include "http/server.h"
#include "storage/file_store.h"
#include "util/unique_fd.h"

namespace fsvc::bench {
namespace {

// One service instance on 127.0.0.1 for the whole benchmark binary.
class LoopbackService {
 public:
  LoopbackService() {
    dir_ = std::filesystem::temp_directory_path() / ("fsvc-bench-" + std::to_string(::getpid()));
    // Every derived default (connection and upload limits) as the binary has them.
    config_ = std::move(*ParseConfig({"--host=127.0.0.1", "--port=0", "--threads=4"}, {},
                                     ReadMachineLimits()))
                  .config;
    store_ = std::move(*FileStore::Open({dir_.string(), 1}));
    server_ = std::make_unique<HttpServer>(config_);
    RegisterOpsRoutes(*server_, *store_, config_);
    port_ = *server_->Bind();
    thread_ = std::thread([this] { (void)server_->Run(); });
  }
  ~LoopbackService() {
    server_->Stop();
    thread_.join();
    server_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  int port() const { return port_; }

 private:
  std::filesystem::path dir_;
  Config config_;
  std::unique_ptr<FileStore> store_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
};

LoopbackService& Service() {
  static LoopbackService service;
  return service;
}

// One keep-alive connection speaking just enough HTTP/1.1 for GET /ping: the
// benchmark measures the server, so the client does no more than it must.
class PingClient {
 public:
  explicit PingClient(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int one = 1;
    ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fd_.reset();
  }
  // The status of one GET /ping, 0 when the exchange failed.
  int Ping() {
    static constexpr std::string_view kRequest = "GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n";
    if (!fd_.valid() || ::send(fd_.get(), kRequest.data(), kRequest.size(), MSG_NOSIGNAL) !=
                            static_cast<ssize_t>(kRequest.size())) {
      return 0;
    }
    for (;;) {
      const size_t head_end = buffer_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const size_t at = buffer_.find("Content-Length: ");
        size_t length = 0;
        if (at != std::string::npos && at < head_end) {
          std::from_chars(buffer_.data() + at + 16, buffer_.data() + head_end, length);
        }
        if (buffer_.size() >= head_end + 4 + length) {
          int status = 0;
          if (buffer_.size() > 12) std::from_chars(buffer_.data() + 9, buffer_.data() + 12, status);
          buffer_.erase(0, head_end + 4 + length);
          return status;
        }
      }
      char chunk[4096];
      const ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
      if (n <= 0) return 0;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  UniqueFd fd_;
  std::string buffer_;
};

void BM_PingThroughRouter(benchmark::State& state) {
  PingClient client(Service().port());
  for (auto _ : state) {
    if (client.Ping() != 200) {
      state.SkipWithError("ping failed");
      break;
    }
  }
}
BENCHMARK(BM_PingThroughRouter)->UseRealTime();

void BM_FileJsonResponse(benchmark::State& state) {
  const FileInfo info{42,
                      "docs/reports/2026/quarterly-report.pdf",
                      123456,
                      "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
                      "application/pdf",
                      1795000000000,
                      1795000000123};
  AllocationCounter allocations;
  for (auto _ : state) {
    Response res;
    SendJson(res, 200, FileJson(info));
    benchmark::DoNotOptimize(res.body().data());
  }
  allocations.Report(state);
}
BENCHMARK(BM_FileJsonResponse);

void BM_ErrorResponse(benchmark::State& state) {
  const Error error{Errc::kNotFound, "no file at 'docs/missing.txt'"};
  AllocationCounter allocations;
  for (auto _ : state) {
    Response res;
    SendError(res, error);
    benchmark::DoNotOptimize(res.body().data());
  }
  allocations.Report(state);
}
BENCHMARK(BM_ErrorResponse);

}  // namespace
}  // namespace fsvc::bench
