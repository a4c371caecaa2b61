// Rate limiter: one hot client (1..8 threads) and many clients, within the
// table's bound and far beyond it (every call evicts).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "alloc_counter.h"
#include "ratelimit/rate_limiter.h"

namespace fsvc::bench {
namespace {

RateLimiterConfig Config() {
  RateLimiterConfig config;
  config.max_clients = 16384;
  return config;
}

void BM_LimiterHotKey(benchmark::State& state) {
  static RateLimiter limiter(Config());
  const AllocationCounter allocations;
  for (auto _ : state) {
    benchmark::DoNotOptimize(limiter.Allow("203.0.113.77", RouteClass::kRead));
  }
  allocations.Report(state);
}
BENCHMARK(BM_LimiterHotKey)->ThreadRange(1, 8)->UseRealTime();

// Clients round-robin over range(0) IPv4 addresses, in a table of 16384.
void BM_LimiterManyKeys(benchmark::State& state) {
  std::vector<std::string> clients;
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    clients.push_back("10." + std::to_string(i >> 16 & 255) + "." + std::to_string(i >> 8 & 255) +
                      "." + std::to_string(i & 255));
  }
  RateLimiter limiter(Config());
  std::size_t i = 0;
  const AllocationCounter allocations;
  for (auto _ : state) {
    benchmark::DoNotOptimize(limiter.Allow(clients[i], RouteClass::kRead));
    if (++i == clients.size()) i = 0;
  }
  allocations.Report(state);
  state.counters["clients"] = static_cast<double>(limiter.Stats().clients);
}
BENCHMARK(BM_LimiterManyKeys)->Arg(1000)->Arg(200000);

}  // namespace
}  // namespace fsvc::bench
