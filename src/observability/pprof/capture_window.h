// Profiles that cover a time window: the wait (CPU) and the difference of two captures of
// counters kept since start (heap growth, mutex contention: Go's ?seconds=N).
//
// Contract: WaitForWindow returns at `deadline`, or within 100 ms of *cancel becoming true
// (a server shutting down is not held for the whole window); `cancel` may be null.
// CaptureDelta captures, waits out the window, captures again and returns the DeltaProfile
// with duration_nanos set to the time between the two; the first error of a capture is
// returned as is.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>

#include "observability/pprof/profile_proto.h"
#include "util/error.h"

namespace fsvc::pprof {

void WaitForWindow(std::chrono::steady_clock::time_point deadline, const std::atomic<bool>* cancel);

Result<Profile> CaptureDelta(const std::function<Result<Profile>()>& capture,
                             std::chrono::milliseconds window, const std::atomic<bool>* cancel);

}  // namespace fsvc::pprof
