// Wall-clock profile of every thread of the process: where the time goes, waits included.
//
// Contract: CaptureWallProfile blocks for `duration` (or until *cancel becomes true). On
// every tick of a real-time timer (`hz` per second) it sends each other thread of the
// process a real-time signal (tgkill); the handler records the thread's stack, whether the
// thread was running or parked in a system call (fsync, epoll_wait, futex...), into a
// preallocated lock-free buffer, which the caller's thread drains between ticks. The result
// is a symbolized Profile with sample types samples/count and wall/nanoseconds (each sample
// stands for one tick of one thread). The capturing thread itself is not sampled.
// One capture at a time: a concurrent call gets Errc::kConflict. Sanitizer builds (which
// defer or intercept signal handlers) get Errc::kUnavailable.
//
// Why signals and not /proc: only the thread itself can unwind its user-space stack. A
// thread in an uninterruptible wait (D state, e.g. inside fsync) runs the handler when the
// system call returns; real-time signals queue, so every tick it missed is still counted
// against the stack it was waiting in.
#pragma once

#include <atomic>
#include <chrono>

#include "observability/pprof/profile_proto.h"
#include "util/error.h"

namespace fsvc::pprof {

bool WallProfilerAvailable();

Result<Profile> CaptureWallProfile(std::chrono::milliseconds duration, int hz,
                                   const std::atomic<bool>* cancel = nullptr);

}  // namespace fsvc::pprof
