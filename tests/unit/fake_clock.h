// A monotonic clock that tests move by hand, for the modules that take an
// injectable `std::function<std::chrono::nanoseconds()>` (URL cache, rate
// limiter). Copies share one time, so the test keeps advancing what the module
// reads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace fsvc {

class FakeClock {
 public:
  std::function<std::chrono::nanoseconds()> fn() const {
    return [now = now_] { return std::chrono::nanoseconds(now->load()); };
  }
  void Advance(std::chrono::nanoseconds d) { now_->fetch_add(d.count()); }

 private:
  std::shared_ptr<std::atomic<std::int64_t>> now_ = std::make_shared<std::atomic<std::int64_t>>(0);
};

}  // namespace fsvc
