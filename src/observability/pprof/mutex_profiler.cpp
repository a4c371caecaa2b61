#include "observability/pprof/mutex_profiler.h"

#include <execinfo.h>

#include <map>
#include <mutex>
#include <vector>

#include "observability/pprof/capture_window.h"
#include "observability/pprof/symbolizer.h"
#include "util/mutex.h"

namespace fsvc::pprof {
namespace {

constexpr int kMaxFrames = 64;
// Record() and Mutex::LockSlow head every stack; lock() itself is inlined into its caller.
constexpr int kSkippedFrames = 2;

struct Contention {
  int64_t count = 0;
  int64_t delay_ns = 0;
};

// A std::mutex, not a fsvc::Mutex: the recorder runs inside Mutex::LockSlow.
std::mutex g_mu;
std::map<std::vector<uintptr_t>, Contention> g_stacks;  // guarded by g_mu
int g_rate = 0;                                         // guarded by g_mu
int64_t g_started_nanos = 0;                            // guarded by g_mu

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

[[gnu::noinline]] void Record(int64_t delay_ns, int) {
  void* frames[kMaxFrames + kSkippedFrames];
  const int n = backtrace(frames, kMaxFrames + kSkippedFrames);
  if (n <= kSkippedFrames) return;
  std::vector<uintptr_t> stack;
  stack.reserve(n - kSkippedFrames);
  for (int i = kSkippedFrames; i < n; ++i) stack.push_back(reinterpret_cast<uintptr_t>(frames[i]));
  std::lock_guard lock(g_mu);
  Contention& c = g_stacks[std::move(stack)];
  ++c.count;
  c.delay_ns += delay_ns;
}

}  // namespace

void SetMutexProfileRate(int rate) {
  void* warm[4];
  backtrace(warm, 4);  // loads libgcc's unwinder now, not inside a lock()
  std::lock_guard lock(g_mu);
  if (rate != g_rate) {
    g_stacks.clear();
    g_started_nanos = NowNanos();
  }
  g_rate = rate > 0 ? rate : 0;
  SetContentionSampling(g_rate, g_rate > 0 ? Record : nullptr);
}

Result<Profile> CaptureMutexProfile() {
  Profile p;
  {
    std::lock_guard lock(g_mu);
    if (g_rate == 0) {
      return Error{Errc::kUnavailable,
                   "mutex profiling is off (MUTEX_PROFILE_RATE=0 or profiling disabled)"};
    }
    p.sample_types = {{"contentions", "count"}, {"delay", "nanoseconds"}};
    p.period_type = {"contentions", "count"};
    p.period = g_rate;
    p.time_nanos = g_started_nanos;
    p.comments = {"waits on fsvc::Mutex, by the waiter's stack; 1 in " + std::to_string(g_rate) +
                  " contended locks sampled"};
    for (const auto& [stack, c] : g_stacks) {
      Sample s;
      // Every frame is a return address: move it back into the call instruction.
      for (uintptr_t pc : stack) s.location_ids.push_back(p.InternLocation(pc - 1));
      s.values = {c.count * g_rate, c.delay_ns * g_rate};
      p.samples.push_back(std::move(s));
    }
  }
  p.duration_nanos = NowNanos() - p.time_nanos;
  Symbolizer::Global().Symbolize(p);
  return p;
}

Result<Profile> CaptureMutexProfileDelta(std::chrono::milliseconds window,
                                         const std::atomic<bool>* cancel) {
  return CaptureDelta(CaptureMutexProfile, window, cancel);
}

}  // namespace fsvc::pprof
