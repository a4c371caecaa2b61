#include "http/elastic_pool.h"

#include <algorithm>

namespace fsvc {
namespace {

// How long a thread with nothing to do waits in the poller before it looks
// at the pool again (deadlines in the poller are checked this often, too).
constexpr int kPollTimeoutMs = 100;

}  // namespace

ElasticThreadPool::ElasticThreadPool(PoolOptions options, Poller poller)
    : options_([&] {
        options.max_threads = std::max<size_t>(1, options.max_threads);
        options.min_threads = std::min(options.min_threads, options.max_threads);
        options.eager_threads = std::clamp<size_t>(options.eager_threads, 1, options.max_threads);
        return options;
      }()),
      poller_(std::move(poller)) {
  std::lock_guard lock(mu_);
  while (threads_.size() < options_.min_threads) StartThreadLocked();
  monitor_ = std::thread([this] { MonitorLoop(); });
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
    // The poller counts as running: it takes what it submits when it returns.
    const size_t running = busy_ + (polling_ ? 1 : 0) + woken_ + starting_;
    if (running < options_.eager_threads) AddThreadLocked();
    if (monitor_parked_) monitor_cv_.notify_one();
    finished.swap(retired_);
  }
  for (auto& t : finished) t.join();
  return true;
}

bool ElasticThreadPool::AddThreadLocked() {
  if (idle_ > woken_) {
    ++woken_;
    work_cv_.notify_one();
    return true;
  }
  if (threads_.size() < options_.max_threads) {
    StartThreadLocked();
    return true;
  }
  return false;
}

void ElasticThreadPool::PollLocked(std::unique_lock<std::mutex>& lock, int timeout_ms) {
  polling_ = true;
  ++polls_;
  lock.unlock();
  poller_(timeout_ms);
  lock.lock();
  polling_ = false;
  ++polls_;
}

void ElasticThreadPool::StartThreadLocked() {
  auto self = threads_.emplace(threads_.end());
  // The worker locks mu_ before touching `self`, so the assignment below
  // (made under mu_) is visible to it.
  *self = std::thread([this, self] { WorkerLoop(self); });
  ++started_;
  ++starting_;
}

void ElasticThreadPool::WorkerLoop(ThreadList::iterator self) {
  std::unique_lock lock(mu_);
  --starting_;
  for (;;) {
    if (!queue_.empty()) {
      std::function<void()> task = std::move(queue_.front());
      queue_.pop_front();
      ++dequeued_;
      ++busy_;
      if (monitor_parked_) monitor_cv_.notify_one();
      lock.unlock();
      task();
      task = nullptr;  // captured state is released outside the lock
      lock.lock();
      --busy_;
      ++completed_;
      continue;
    }
    if (stopping_) return;
    if (poller_ && !polling_) {
      PollLocked(lock, kPollTimeoutMs);
      continue;
    }
    ++idle_;
    const bool woken =
        work_cv_.wait_for(lock, options_.idle_timeout, [this] { return woken_ > 0 || stopping_; });
    --idle_;
    if (woken_ > 0) {
      --woken_;
      continue;
    }
    if (!woken && queue_.empty() && threads_.size() > options_.min_threads) {
      // A thread cannot join itself: hand its handle to the next submitter.
      retired_.push_back(std::move(*self));
      threads_.erase(self);
      ++retired_count_;
      return;
    }
  }
}

void ElasticThreadPool::MonitorLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    // Parked while nothing runs; only then do workers signal it.
    monitor_parked_ = true;
    monitor_cv_.wait(lock, [this] { return stopping_ || busy_ > 0 || !queue_.empty(); });
    monitor_parked_ = false;
    if (stopping_) return;
    const uint64_t dequeued = dequeued_;
    const uint64_t polls = polls_;
    if (monitor_cv_.wait_for(lock, options_.handoff_delay, [this] { return stopping_; })) return;
    // Queued work that has not moved, or (with a poller) nothing queued and no
    // poll while every thread is busy: the running threads are blocked (or
    // busy with one long task), so add one. Threads working down the queue
    // poll once it is empty.
    const bool queue_stuck = !queue_.empty() && dequeued_ == dequeued;
    const bool poll_stuck = poller_ && queue_.empty() && !polling_ && polls_ == polls && busy_ > 0;
    if ((queue_stuck || poll_stuck) && woken_ + starting_ == 0) {
      if (AddThreadLocked()) {
        ++handoffs_;
      } else if (poller_ && !polling_) {
        // Every thread is taken: poll here, so that new requests are queued
        // or refused rather than left unread.
        PollLocked(lock, 0);
      }
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
  monitor_cv_.notify_all();
  for (auto& t : threads) t.join();
  for (auto& t : finished) t.join();
  if (monitor_.joinable()) monitor_.join();
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
  s.handoffs = handoffs_;
  return s;
}

}  // namespace fsvc
