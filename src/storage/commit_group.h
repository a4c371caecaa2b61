// Group commit: concurrent writers share one flush.
//
// A durable upload pays for two syncs (its bytes, then its row); twenty
// uploads finishing together need not pay for forty. Commit() queues the
// caller's batch; the first caller to find no flush in progress leads: it
// takes every entry queued so far (at most max_group) and runs the flush
// function once for all of them, then wakes each caller with its own result.
// Callers arriving while a group flushes queue up for the next one, so a
// group's size follows the load and a lone writer waits for nobody (no
// timed window, as PostgreSQL's commit_delay has, is needed: a flush takes
// long enough for the next group to gather). A caller returns only after
// the flush that carried its entry has finished, so "acknowledged" still
// means "durable".
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

#include "storage/metadata_store.h"
#include "util/error.h"

namespace fsvc {

class CommitGroup {
 public:
  struct Entry {
    PutBatch batch;
    Result<std::vector<PutResult>> result = Error{Errc::kInternal, "not committed"};
  };
  // Must set every entry's result; runs on the leading caller's thread,
  // never on two threads at once.
  using FlushFn = std::function<void(std::span<Entry* const> group)>;

  explicit CommitGroup(FlushFn flush, size_t max_group = 256)
      : flush_(std::move(flush)), max_group_(max_group) {}

  // Blocks until the group carrying `batch` has been flushed.
  Result<std::vector<PutResult>> Commit(PutBatch batch);

  struct Stats {
    uint64_t groups = 0;   // flushes run
    uint64_t entries = 0;  // commits they carried
  };
  Stats stats() const;

 private:
  struct Waiter {
    Entry entry;
    bool done = false;
  };

  const FlushFn flush_;
  const size_t max_group_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Waiter*> queue_;  // guarded by mu_
  bool flushing_ = false;       // guarded by mu_
  Stats stats_;                 // guarded by mu_
};

}  // namespace fsvc
