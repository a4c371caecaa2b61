#include "storage/commit_group.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace fsvc {
namespace {

FileRecord Named(const std::string& path) {
  FileRecord r;
  r.path = path;
  return r;
}

// Concurrent commits share flushes, each caller gets the result of its own
// entry, and no two flushes ever run at once.
TEST(CommitGroupTest, ConcurrentCommitsShareFlushesAndGetTheirOwnResults) {
  std::atomic<int> running{0};
  std::atomic<bool> overlapped{false};
  CommitGroup group([&](std::span<CommitGroup::Entry* const> entries) {
    if (running.fetch_add(1) != 0) overlapped = true;
    // Long enough for the other callers to queue behind this flush.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    for (CommitGroup::Entry* e : entries) {
      if (e->batch.records.front().path.ends_with("-bad")) {
        e->result = Error{Errc::kConflict, "refused"};
      } else {
        e->result = std::vector<PutResult>{PutResult{e->batch.records.front(), std::nullopt}};
      }
    }
    running.fetch_sub(1);
  });
  constexpr int kThreads = 16;
  constexpr int kEach = 20;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string path =
            "t" + std::to_string(t) + "-" + std::to_string(i) + (i % 5 == 0 ? "-bad" : "");
        PutBatch batch;
        batch.records.push_back(Named(path));
        auto r = group.Commit(std::move(batch));
        const bool as_expected = path.ends_with("-bad")
                                     ? !r.ok() && r.error().code == Errc::kConflict
                                     : r.ok() && r->front().record.path == path;
        if (!as_expected) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_FALSE(overlapped);
  const CommitGroup::Stats stats = group.stats();
  EXPECT_EQ(stats.entries, uint64_t{kThreads * kEach});
  EXPECT_LT(stats.groups, stats.entries);  // some flushes carried several commits
}

// A group never exceeds its bound; the entries beyond wait for the next.
TEST(CommitGroupTest, GroupsStayWithinTheirBound) {
  std::atomic<size_t> largest{0};
  CommitGroup group(
      [&](std::span<CommitGroup::Entry* const> entries) {
        largest = std::max(largest.load(), entries.size());
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        for (CommitGroup::Entry* e : entries) e->result = std::vector<PutResult>{};
      },
      /*max_group=*/3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) EXPECT_TRUE(group.Commit({}).ok());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(largest.load(), 3u);
  EXPECT_EQ(group.stats().entries, 120u);
}

}  // namespace
}  // namespace fsvc
