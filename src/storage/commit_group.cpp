#include "storage/commit_group.h"

#include <algorithm>

namespace fsvc {

Result<std::vector<PutResult>> CommitGroup::Commit(PutBatch batch) {
  Waiter self;
  self.entry.batch = std::move(batch);
  std::unique_lock lock(mu_);
  queue_.push_back(&self);
  while (!self.done) {
    if (flushing_) {
      cv_.wait(lock);
      continue;
    }
    // Lead: this caller's entry is in the queue, so the group carries it
    // unless max_group_ entries came before it (then it leads again next).
    const size_t n = std::min(queue_.size(), max_group_);
    std::vector<Waiter*> group(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
    flushing_ = true;
    lock.unlock();
    std::vector<Entry*> entries;
    entries.reserve(group.size());
    for (Waiter* w : group) entries.push_back(&w->entry);
    flush_(entries);
    lock.lock();
    for (Waiter* w : group) w->done = true;
    flushing_ = false;
    ++stats_.groups;
    stats_.entries += group.size();
    // Wakes the finished callers, and one of the queued ones to lead next.
    cv_.notify_all();
  }
  return std::move(self.entry.result);
}

CommitGroup::Stats CommitGroup::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace fsvc
