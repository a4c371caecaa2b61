// Request handling costs: /ping end to end through the real router (loopback,
// one keep-alive connection), and building the JSON bodies handlers send.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "alloc_counter.h"
#include "api/json_views.h"
#include "api/ops_api.h"
#include "http/error_response.h"
#include "http/server.h"
#include "storage/file_store.h"

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

void BM_PingThroughRouter(benchmark::State& state) {
  httplib::Client client("127.0.0.1", Service().port());
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  for (auto _ : state) {
    auto res = client.Get("/ping");
    if (!res || res->status != 200) state.SkipWithError("ping failed");
    benchmark::DoNotOptimize(res);
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
    httplib::Response res;
    SendJson(res, 200, FileJson(info));
    benchmark::DoNotOptimize(res.body.data());
  }
  allocations.Report(state);
}
BENCHMARK(BM_FileJsonResponse);

void BM_ErrorResponse(benchmark::State& state) {
  const Error error{Errc::kNotFound, "no file at 'docs/missing.txt'"};
  AllocationCounter allocations;
  for (auto _ : state) {
    httplib::Response res;
    SendError(res, error);
    benchmark::DoNotOptimize(res.body.data());
  }
  allocations.Report(state);
}
BENCHMARK(BM_ErrorResponse);

}  // namespace
}  // namespace fsvc::bench
