// The service's own mutex: std::mutex plus sampled contention timing for
// /debug/pprof/mutex, annotated for clang's thread-safety analysis.
//
// Contract: Mutex is Lockable (std::unique_lock works with it) and costs what std::mutex
// costs while it is free: lock() first tries to take it. Only a lock() that has to wait, and
// then only one wait in `rate` per thread (SetContentionSampling), reads the clock around
// the wait and hands the delay to the recorder, on the waiter's thread right after it got the
// lock, so the recorder can take the waiter's stack. rate 0 (the default) or no recorder:
// nothing is timed. The recorder must not take a fsvc::Mutex.
#pragma once

#include <cstdint>
#include <mutex>

#include "util/thread_annotations.h"

namespace fsvc {

// delay_ns: the sampled wait; rate: 1 in `rate` waits is sampled (for scaling up).
using ContentionRecorder = void (*)(int64_t delay_ns, int rate);

// rate <= 0 switches sampling off. Takes effect for waits that start afterwards.
void SetContentionSampling(int rate, ContentionRecorder recorder);

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() {
    if (!mu_.try_lock()) LockSlow();
  }
  void unlock() RELEASE() { mu_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return mu_.try_lock(); }

 private:
  void LockSlow();
  std::mutex mu_;
};

class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace fsvc
