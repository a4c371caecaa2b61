#include "util/mutex.h"

#include <atomic>
#include <chrono>

namespace fsvc {
namespace {

std::atomic<int> g_rate{0};
std::atomic<ContentionRecorder> g_recorder{nullptr};

}  // namespace

void SetContentionSampling(int rate, ContentionRecorder recorder) {
  g_recorder.store(recorder, std::memory_order_relaxed);
  g_rate.store(recorder != nullptr && rate > 0 ? rate : 0, std::memory_order_relaxed);
}

void Mutex::LockSlow() {
  const int rate = g_rate.load(std::memory_order_relaxed);
  // A per-thread countdown rather than a random draw: no shared state on the slow path.
  thread_local int countdown = 0;
  if (rate <= 0 || --countdown > 0) {
    mu_.lock();
    return;
  }
  countdown = rate;
  const auto start = std::chrono::steady_clock::now();
  mu_.lock();
  const auto waited = std::chrono::steady_clock::now() - start;
  if (ContentionRecorder recorder = g_recorder.load(std::memory_order_relaxed)) {
    recorder(std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count(), rate);
  }
}

}  // namespace fsvc
