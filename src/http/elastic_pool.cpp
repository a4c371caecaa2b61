#include "http/elastic_pool.h"

#include <algorithm>

namespace fsvc {

ElasticThreadPool::ElasticThreadPool(PoolOptions options)
    : options_([&] {
        options.max_threads = std::max<size_t>(1, options.max_threads);
        options.min_threads = std::min(options.min_threads, options.max_threads);
        return options;
      }()) {
  std::lock_guard lock(mu_);
  while (threads_.size() < options_.min_threads) StartThreadLocked();
}

ElasticThreadPool::~ElasticThreadPool() {
  Shutdown();
}

bool ElasticThreadPool::TrySubmit(std::function<void()> task) {
  return Enqueue(std::move(task), true);
}

bool ElasticThreadPool::Submit(std::function<void()> task) {
  return Enqueue(std::move(task), false);
}

bool ElasticThreadPool::Enqueue(std::function<void()> task, bool bounded) {
  std::vector<std::thread> finished;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || (bounded && queue_.size() >= options_.max_queue)) {
      ++rejected_;
      return false;
    }
    queue_.push_back(std::move(task));
    // Idle threads already waiting will each take one task; start another
    // only for tasks none of them will take.
    if (queue_.size() > idle_ && threads_.size() < options_.max_threads) StartThreadLocked();
    finished.swap(retired_);
  }
  work_cv_.notify_one();
  for (auto& t : finished) t.join();
  return true;
}

bool ElasticThreadPool::HasWaitingWork() const {
  std::lock_guard lock(mu_);
  return queue_.size() > idle_;
}

void ElasticThreadPool::StartThreadLocked() {
  auto self = threads_.emplace(threads_.end());
  // The worker locks mu_ before touching `self`, so the assignment below
  // (made under mu_) is visible to it.
  *self = std::thread([this, self] { WorkerLoop(self); });
  ++started_;
}

void ElasticThreadPool::WorkerLoop(ThreadList::iterator self) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (!queue_.empty()) {
      std::function<void()> task = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
      lock.unlock();
      task();
      task = nullptr;  // captured state is released outside the lock
      lock.lock();
      --busy_;
      ++completed_;
      continue;
    }
    if (stopping_) return;
    ++idle_;
    const bool woken = work_cv_.wait_for(lock, options_.idle_timeout,
                                         [this] { return !queue_.empty() || stopping_; });
    --idle_;
    if (!woken && threads_.size() > options_.min_threads) {
      // A thread cannot join itself: hand its handle to the next submitter.
      retired_.push_back(std::move(*self));
      threads_.erase(self);
      ++retired_count_;
      return;
    }
  }
}

void ElasticThreadPool::Shutdown() {
  ThreadList threads;
  std::vector<std::thread> finished;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    threads.swap(threads_);
    finished.swap(retired_);
  }
  work_cv_.notify_all();
  for (auto& t : threads) t.join();
  for (auto& t : finished) t.join();
  // Threads that retired while the others were being joined.
  std::lock_guard lock(mu_);
  for (auto& t : retired_) t.join();
  retired_.clear();
}

PoolStats ElasticThreadPool::Stats() const {
  std::lock_guard lock(mu_);
  PoolStats s;
  s.threads = threads_.size();
  s.busy = busy_;
  s.idle = idle_;
  s.queued = queue_.size();
  s.max_threads = options_.max_threads;
  s.max_queue = options_.max_queue;
  s.rejected = rejected_;
  s.completed = completed_;
  s.started = started_;
  s.retired = retired_count_;
  return s;
}

}  // namespace fsvc
