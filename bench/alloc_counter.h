// Counts heap allocations per benchmark iteration.
//
// alloc_counter.cpp replaces the global operator new (every form) and hands
// OpenSSL counting allocators, so each thread keeps an exact count of the
// allocations it made through either. malloc() called directly by other C
// code is not seen. Usage, around a benchmark loop:
//   AllocationCounter allocations;
//   for (auto _ : state) { ... }
//   allocations.Report(state);  // adds counter "allocs/op"
// With ->Threads(n) each thread reports its own and Google Benchmark sums them,
// so the figure stays per operation.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

namespace fsvc::bench {

std::uint64_t ThreadAllocations();

class AllocationCounter {
 public:
  AllocationCounter() : start_(ThreadAllocations()) {}
  void Report(benchmark::State& state) const {
    state.counters["allocs/op"] = benchmark::Counter(
        static_cast<double>(ThreadAllocations() - start_), benchmark::Counter::kAvgIterations);
  }

 private:
  std::uint64_t start_;
};

}  // namespace fsvc::bench
