#include "observability/pprof/wall_profiler.h"

#include <dirent.h>
#include <execinfo.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "observability/pprof/symbolizer.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FSVC_WALL_PROFILER 0
#else
#define FSVC_WALL_PROFILER 1
#endif

namespace fsvc::pprof {

#if FSVC_WALL_PROFILER
namespace {

constexpr int kMaxFrames = 64;
// Enough for several ticks of a few hundred threads: the collector drains every tick.
constexpr size_t kSlots = 2048;

enum SlotState : uint32_t { kFree, kWriting, kReady };

struct Slot {
  std::atomic<uint32_t> state{kFree};
  int depth = 0;
  uintptr_t pcs[kMaxFrames]{};
};

// Static, so that the handler never allocates. constinit: zero-filled at load (.bss), so its
// 1 MiB of pages stay untouched until a profile runs; without it (pcs left uninitialised)
// the compiler initialised every slot at start-up and the whole array was resident.
constinit Slot g_slots[kSlots];
std::atomic<bool> g_recording{false};
std::atomic<uint64_t> g_cursor{0};
std::atomic<uint64_t> g_dropped{0};

// A real-time signal, so that ticks a thread cannot take at once (in D state) queue up
// instead of merging. Nothing else in the process uses the real-time range.
int WallSignal() {
  return SIGRTMIN + 4;
}

uintptr_t InterruptedPc(void* ucontext) {
#if defined(__x86_64__)
  return static_cast<uintptr_t>(static_cast<ucontext_t*>(ucontext)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<uintptr_t>(static_cast<ucontext_t*>(ucontext)->uc_mcontext.pc);
#else
  (void)ucontext;
  return 0;
#endif
}

// Async-signal-safe: atomics, a copy into a static slot, and backtrace(), whose one unsafe
// part (loading libgcc_s on first use) InstallHandler does beforehand.
void OnWallSignal(int, siginfo_t*, void* ucontext) {
  if (!g_recording.load(std::memory_order_acquire)) return;
  const int saved_errno = errno;
  void* frames[kMaxFrames + 8];
  const int n = backtrace(frames, kMaxFrames + 8);
  // The handler and the kernel's signal trampoline come first: the thread's own stack starts
  // at the interrupted pc. Without the pc (unknown CPU), drop those two frames.
  const uintptr_t pc = InterruptedPc(ucontext);
  int first = 0;
  while (first < n && reinterpret_cast<uintptr_t>(frames[first]) != pc) ++first;
  if (first == n) first = std::min(n, 2);
  const int depth = std::min(n - first, kMaxFrames);
  for (int probe = 0; probe < 16 && depth > 0; ++probe) {
    Slot& slot = g_slots[g_cursor.fetch_add(1, std::memory_order_relaxed) % kSlots];
    uint32_t expected = kFree;
    if (!slot.state.compare_exchange_strong(expected, kWriting, std::memory_order_acquire)) {
      continue;
    }
    for (int i = 0; i < depth; ++i) slot.pcs[i] = reinterpret_cast<uintptr_t>(frames[first + i]);
    slot.depth = depth;
    slot.state.store(kReady, std::memory_order_release);
    errno = saved_errno;
    return;
  }
  g_dropped.fetch_add(1, std::memory_order_relaxed);
  errno = saved_errno;
}

// Installed once and kept: a queued tick may arrive long after its capture ended, and the
// default action of a real-time signal would end the process.
Status InstallHandler() {
  static const Status installed = [] {
    void* warm[4];
    backtrace(warm, 4);
    struct sigaction sa {};
    sa.sa_sigaction = OnWallSignal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(WallSignal(), &sa, nullptr) != 0) {
      return Status(Error{Errc::kInternal, "sigaction for the wall-clock profiler failed"});
    }
    return OkStatus();
  }();
  return installed;
}

void ListThreadIds(std::vector<pid_t>& out) {
  out.clear();
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9') out.push_back(std::atoi(e->d_name));
  }
  closedir(dir);
}

using StackCounts = std::map<std::vector<uintptr_t>, int64_t>;

int64_t Drain(StackCounts& stacks) {
  int64_t drained = 0;
  for (Slot& slot : g_slots) {
    if (slot.state.load(std::memory_order_acquire) != kReady) continue;
    ++stacks[std::vector<uintptr_t>(slot.pcs, slot.pcs + slot.depth)];
    slot.state.store(kFree, std::memory_order_release);
    ++drained;
  }
  return drained;
}

void AddNanos(timespec& t, int64_t ns) {
  t.tv_nsec += ns;
  while (t.tv_nsec >= 1'000'000'000) {
    t.tv_nsec -= 1'000'000'000;
    ++t.tv_sec;
  }
}

bool Before(const timespec& a, const timespec& b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

}  // namespace

bool WallProfilerAvailable() {
  return true;
}

Result<Profile> CaptureWallProfile(std::chrono::milliseconds duration, int hz,
                                   const std::atomic<bool>* cancel) {
  if (hz < 1 || hz > 1000) return Error{Errc::kInvalidArgument, "hz must be within 1..1000"};
  static std::atomic<bool> busy{false};
  if (busy.exchange(true)) return Error{Errc::kConflict, "a wall-clock profile is already running"};
  struct Release {
    ~Release() { busy.store(false); }
  } release;
  if (auto st = InstallHandler(); !st.ok()) return st.error();

  StackCounts stacks;
  Drain(stacks);  // what a late tick of the previous capture left behind
  stacks.clear();
  g_dropped.store(0);

  const int64_t period_ns = 1'000'000'000 / hz;
  const pid_t pid = getpid();
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  std::vector<pid_t> tids;
  int64_t ticks = 0, signalled = 0, recorded = 0;
  const auto start_wall = std::chrono::system_clock::now();
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + duration;
  timespec next{};
  clock_gettime(CLOCK_MONOTONIC, &next);
  g_recording.store(true, std::memory_order_release);
  while (std::chrono::steady_clock::now() < deadline && !(cancel && cancel->load())) {
    ListThreadIds(tids);
    for (pid_t tid : tids) {
      if (tid != self && syscall(SYS_tgkill, pid, tid, WallSignal()) == 0) ++signalled;
    }
    ++ticks;
    // Absolute ticks keep the rate; a tick that overran is not made up for.
    AddNanos(next, period_ns);
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (Before(next, now)) next = now;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr) == EINTR) {
    }
    recorded += Drain(stacks);
  }
  // One more period for the handlers of the last tick.
  const timespec settle{0, period_ns};
  nanosleep(&settle, nullptr);
  g_recording.store(false, std::memory_order_release);
  recorded += Drain(stacks);
  const auto elapsed = std::chrono::steady_clock::now() - start;

  Profile p;
  p.sample_types = {{"samples", "count"}, {"wall", "nanoseconds"}};
  p.period_type = {"wall", "nanoseconds"};
  p.period = period_ns;
  p.time_nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(start_wall.time_since_epoch()).count();
  p.duration_nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  p.comments = {"wall-clock profile: every thread sampled at " + std::to_string(hz) + " Hz",
                "ticks " + std::to_string(ticks) + ", thread signals " + std::to_string(signalled) +
                    ", stacks recorded " + std::to_string(recorded) + ", dropped " +
                    std::to_string(g_dropped.load())};
  for (const auto& [pcs, count] : stacks) {
    Sample s;
    // The first pc is where the thread was; the others are return addresses, moved back
    // into the call instruction as for the CPU profile.
    for (size_t i = 0; i < pcs.size(); ++i) {
      s.location_ids.push_back(p.InternLocation(i == 0 ? pcs[i] : pcs[i] - 1));
    }
    s.values = {count, count * period_ns};
    p.samples.push_back(std::move(s));
  }
  Symbolizer::Global().Symbolize(p);
  return p;
}

#else

bool WallProfilerAvailable() {
  return false;
}

Result<Profile> CaptureWallProfile(std::chrono::milliseconds, int, const std::atomic<bool>*) {
  return Error{Errc::kUnavailable, "sanitizer builds have no wall-clock profiler"};
}

#endif

}  // namespace fsvc::pprof
