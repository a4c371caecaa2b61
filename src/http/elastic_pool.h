// A thread pool that grows with demand and shrinks when idle, with a bounded
// admission queue.
//
// A thread is started when a task is queued and no idle thread will take it,
// up to max_threads; a thread idle for idle_timeout exits while more than
// min_threads remain. TrySubmit refuses (returns false, the task is not run)
// once max_queue tasks wait, so a caller can answer "busy" at once instead of
// queueing without limit; Submit always queues (for work admitted earlier).
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
};

class ElasticThreadPool {
 public:
  explicit ElasticThreadPool(PoolOptions options);
  ~ElasticThreadPool();
  ElasticThreadPool(const ElasticThreadPool&) = delete;
  ElasticThreadPool& operator=(const ElasticThreadPool&) = delete;

  // False (and `task` dropped unrun) when the queue is full or shut down.
  bool TrySubmit(std::function<void()> task);
  // Queues regardless of the bound; false only after Shutdown.
  bool Submit(std::function<void()> task);
  // True when tasks wait for a thread: a running task should yield soon.
  bool HasWaitingWork() const;
  void Shutdown();
  PoolStats Stats() const;

 private:
  using ThreadList = std::list<std::thread>;
  bool Enqueue(std::function<void()> task, bool bounded);
  void StartThreadLocked();
  void WorkerLoop(ThreadList::iterator self);

  const PoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<std::function<void()>> queue_;
  ThreadList threads_;
  std::vector<std::thread> retired_;  // exited idle; joined by the next submitter
  size_t busy_ = 0;
  size_t idle_ = 0;
  bool stopping_ = false;
  uint64_t rejected_ = 0;
  uint64_t completed_ = 0;
  uint64_t started_ = 0;
  uint64_t retired_count_ = 0;
};

}  // namespace fsvc
