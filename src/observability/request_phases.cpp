#include "observability/request_phases.h"

namespace fsvc {
namespace {
thread_local PhaseTotals t_phases;
}  // namespace

void ResetRequestPhases() {
  t_phases = PhaseTotals{};
}
const PhaseTotals& CurrentRequestPhases() {
  return t_phases;
}

ScopedPhase::ScopedPhase(Phase phase) : phase_(phase), start_(std::chrono::steady_clock::now()) {}

ScopedPhase::~ScopedPhase() {
  t_phases.by_phase[static_cast<int>(phase_)] += std::chrono::steady_clock::now() - start_;
}

}  // namespace fsvc
