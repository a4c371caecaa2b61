// A thread pool that grows with demand and shrinks when idle, with a bounded
// admission queue and an optional poller duty.
//
// Queued work wakes (or starts) threads only while fewer than eager_threads
// are running, one per CPU: more would only take turns on the same cores.
// Work that has waited handoff_delay without the queue moving gets another
// thread (up to max_threads): its runners are blocked (disk, a slow client),
// not busy. A thread idle for idle_timeout exits while more than min_threads
// remain. TrySubmit refuses (returns false, the task is not run) once
// max_queue tasks wait, so a caller can answer "busy" at once instead of
// queueing without limit; Submit always queues (for work admitted earlier).
//
// The poller (if given) is the duty of a thread with nothing queued: at most
// one thread at a time calls it, without the pool's lock; it waits for new
// work (up to ~100 ms) and submits it. So under load the running threads
// poll between tasks and no wake-up is needed per task; when every thread is
// busy and none has polled for handoff_delay, another is woken to poll, or,
// with every thread taken, the pool's monitor thread polls without waiting,
// so new requests are still refused fast (queue full) rather than ignored.
// Shutdown runs what is queued, then joins every thread; it must not be
// called from a pool thread. All members are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace fsvc {

struct PoolOptions {
  size_t min_threads = 1;
  size_t max_threads = 8;
  size_t max_queue = 1024;
  std::chrono::milliseconds idle_timeout{30000};
  size_t eager_threads = static_cast<size_t>(-1);  // default: up to max_threads
  std::chrono::microseconds handoff_delay{1000};
};

struct PoolStats {
  size_t threads = 0;
  size_t busy = 0;
  size_t idle = 0;
  size_t queued = 0;
  size_t max_threads = 0;
  size_t max_queue = 0;
  uint64_t rejected = 0;   // TrySubmit refusals
  uint64_t completed = 0;  // tasks run to the end
  uint64_t started = 0;    // threads ever started
  uint64_t retired = 0;    // threads that exited idle
  uint64_t handoffs = 0;   // threads woken or started because work waited
};

class ElasticThreadPool {
 public:
  // Waits up to timeout_ms for new work and submits it.
  using Poller = std::function<void(int timeout_ms)>;

  explicit ElasticThreadPool(PoolOptions options, Poller poller = nullptr);
  ~ElasticThreadPool();
  ElasticThreadPool(const ElasticThreadPool&) = delete;
  ElasticThreadPool& operator=(const ElasticThreadPool&) = delete;

  // False (and `task` dropped unrun) when the queue is full or shut down.
  bool TrySubmit(std::function<void()> task);
  // Queues regardless of the bound; false only after Shutdown.
  bool Submit(std::function<void()> task);
  void Shutdown();
  PoolStats Stats() const;

 private:
  using ThreadList = std::list<std::thread>;
  bool Enqueue(std::function<void()> task, bool bounded);
  // Wakes an idle thread, or starts one below max_threads; false when
  // neither is possible.
  bool AddThreadLocked();
  // Runs the poller with the lock released; `lock` holds mu_.
  void PollLocked(std::unique_lock<std::mutex>& lock, int timeout_ms);
  void StartThreadLocked();
  void WorkerLoop(ThreadList::iterator self);
  void MonitorLoop();

  const PoolOptions options_;
  const Poller poller_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable monitor_cv_;
  std::deque<std::function<void()>> queue_;
  ThreadList threads_;
  std::vector<std::thread> retired_;  // exited idle; joined by the next submitter
  std::thread monitor_;
  size_t busy_ = 0;
  size_t idle_ = 0;
  size_t woken_ = 0;     // idle threads notified that have not woken yet
  size_t starting_ = 0;  // threads started that have not looked for work yet
  bool polling_ = false;
  bool monitor_parked_ = false;
  bool stopping_ = false;
  uint64_t dequeued_ = 0;
  uint64_t polls_ = 0;
  uint64_t rejected_ = 0;
  uint64_t completed_ = 0;
  uint64_t started_ = 0;
  uint64_t retired_count_ = 0;
  uint64_t handoffs_ = 0;
};

}  // namespace fsvc
