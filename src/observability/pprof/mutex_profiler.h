// Lock contention of the service's own mutexes (fsvc::Mutex), in Go's mutex-profile form.
//
// Contract: SetMutexProfileRate(rate) samples one contended lock() in `rate` per thread
// (0 stops; Go's runtime.SetMutexProfileFraction); each sample records the waiter's stack
// and how long it waited. CaptureMutexProfile returns what was recorded since sampling
// started, sample types contentions/count and delay/nanoseconds scaled up by the rate (as
// Go does), period_type contentions/count with period = rate; the stacks are the waiters'
// (Go's are the unlockers'). Errc::kUnavailable while sampling is off.
// CaptureMutexProfileDelta gives what was added within a window (Go's ?seconds=N).
#pragma once

#include <atomic>
#include <chrono>

#include "observability/pprof/profile_proto.h"
#include "util/error.h"

namespace fsvc::pprof {

void SetMutexProfileRate(int rate);

Result<Profile> CaptureMutexProfile();
Result<Profile> CaptureMutexProfileDelta(std::chrono::milliseconds window,
                                         const std::atomic<bool>* cancel = nullptr);

}  // namespace fsvc::pprof
