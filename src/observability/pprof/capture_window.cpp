#include "observability/pprof/capture_window.h"

#include <algorithm>
#include <thread>

namespace fsvc::pprof {

void WaitForWindow(std::chrono::steady_clock::time_point deadline,
                   const std::atomic<bool>* cancel) {
  while (std::chrono::steady_clock::now() < deadline && !(cancel && cancel->load())) {
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(100), deadline - std::chrono::steady_clock::now()));
  }
}

Result<Profile> CaptureDelta(const std::function<Result<Profile>()>& capture,
                             std::chrono::milliseconds window, const std::atomic<bool>* cancel) {
  auto before = capture();
  if (!before.ok()) return before;
  const auto start = std::chrono::steady_clock::now();
  WaitForWindow(start + window, cancel);
  auto after = capture();
  if (!after.ok()) return after;
  Profile delta = DeltaProfile(*before, std::move(*after));
  delta.duration_nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  delta.comments.push_back("delta profile: what was counted within the window");
  return delta;
}

}  // namespace fsvc::pprof
