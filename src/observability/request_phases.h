// Where a request's time goes, by phase, for the Server-Timing header.
//
// Storage code marks its work with a ScopedPhase; the time adds up in a
// thread-local total, which the HTTP layer resets when a request starts and
// reads before the response header is written. A request runs on one
// thread from its header to its handler's return, so no locking is needed.
// Marking costs two steady_clock reads.
#pragma once

#include <chrono>

namespace fsvc {

enum class Phase { kMetadata = 0, kDisk = 1 };
inline constexpr int kPhaseCount = 2;

struct PhaseTotals {
  std::chrono::nanoseconds by_phase[kPhaseCount]{};
};

void ResetRequestPhases();
const PhaseTotals& CurrentRequestPhases();

class ScopedPhase {
 public:
  explicit ScopedPhase(Phase phase);
  ~ScopedPhase();
  ScopedPhase(const ScopedPhase&) = delete;
  ScopedPhase& operator=(const ScopedPhase&) = delete;

 private:
  Phase phase_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace fsvc
