// ElasticThreadPool: grows to its bound under demand, refuses beyond its
// queue bound, shrinks back when idle, hands work on when its threads block,
// polls one thread at a time, and runs all queued work on shutdown.
#include "http/elastic_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace fsvc {
namespace {

using namespace std::chrono_literals;

// Blocks the tasks that wait on it until Open().
class Gate {
 public:
  void Wait() { opened_.wait(false); }
  void Open() {
    opened_ = true;
    opened_.notify_all();
  }

 private:
  std::atomic<bool> opened_{false};
};

// Polls `pred` for up to 5 s; the bound only keeps a broken pool from
// hanging the test.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

TEST(ElasticPoolTest, GrowsWithDemandUpToItsBound) {
  ElasticThreadPool pool({1, 4, 100, 30s});
  EXPECT_EQ(pool.Stats().threads, 1u);
  Gate gate;
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(pool.TrySubmit([&] { gate.Wait(); }));
  EXPECT_TRUE(Eventually([&] { return pool.Stats().busy == 4; }));
  const PoolStats s = pool.Stats();
  EXPECT_EQ(s.threads, 4u);
  EXPECT_EQ(s.queued, 2u);
  gate.Open();
  EXPECT_TRUE(Eventually([&] { return pool.Stats().completed == 6; }));
  EXPECT_EQ(pool.Stats().queued, 0u);
}

TEST(ElasticPoolTest, RefusesBeyondTheQueueBoundButSubmitAlwaysQueues) {
  ElasticThreadPool pool({1, 1, 2, 30s});
  Gate gate;
  ASSERT_TRUE(pool.TrySubmit([&] { gate.Wait(); }));
  ASSERT_TRUE(Eventually([&] { return pool.Stats().busy == 1; }));
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_FALSE(pool.TrySubmit([&] { ran += 100; }));  // dropped, never run
  EXPECT_TRUE(pool.Submit([&] { ++ran; }));           // admitted work ignores the bound
  EXPECT_EQ(pool.Stats().rejected, 1u);
  EXPECT_EQ(pool.Stats().queued, 3u);
  gate.Open();
  EXPECT_TRUE(Eventually([&] { return ran == 3; }));
  EXPECT_TRUE(Eventually([&] { return pool.Stats().completed == 4; }));
  EXPECT_EQ(ran, 3);
}

TEST(ElasticPoolTest, ShrinksToItsMinimumWhenIdle) {
  ElasticThreadPool pool({1, 8, 100, 50ms});
  Gate gate;
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(pool.TrySubmit([&] { gate.Wait(); }));
  ASSERT_TRUE(Eventually([&] { return pool.Stats().threads == 8; }));
  gate.Open();
  EXPECT_TRUE(Eventually([&] { return pool.Stats().threads == 1; }));
  EXPECT_EQ(pool.Stats().retired, 7u);
  // It still grows again afterwards.
  std::promise<void> done;
  ASSERT_TRUE(pool.TrySubmit([&] { done.set_value(); }));
  EXPECT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
}

TEST(ElasticPoolTest, RunsOnEagerThreadsUntilWorkStopsMoving) {
  // One eager thread: quick tasks queue behind each other on it...
  ElasticThreadPool pool({1, 4, 100, 30s, 1, 2ms});
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));
  ASSERT_TRUE(Eventually([&] { return ran == 50; }));
  // ...but a task that blocks gets the work behind it handed to another.
  Gate gate;
  ASSERT_TRUE(pool.TrySubmit([&] { gate.Wait(); }));
  std::promise<void> behind;
  ASSERT_TRUE(pool.TrySubmit([&] { behind.set_value(); }));
  EXPECT_EQ(behind.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_GE(pool.Stats().handoffs, 1u);
  gate.Open();
}

TEST(ElasticPoolTest, OneThreadAtATimePollsAndRunsWhatItSubmits) {
  std::atomic<int> pollers{0};
  std::atomic<int> overlap{0};
  std::atomic<int> submitted{0};
  std::atomic<int> ran{0};
  std::atomic<ElasticThreadPool*> self{nullptr};
  ElasticThreadPool pool({2, 4, 100, 30s, 2, 1ms}, [&](int timeout_ms) {
    if (pollers.fetch_add(1) != 0) ++overlap;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(timeout_ms, 2)));
    if (ElasticThreadPool* pool = self.load(); submitted < 200 && pool != nullptr) {
      for (int i = 0; i < 10; ++i, ++submitted) pool->Submit([&] { ++ran; });
    }
    pollers.fetch_sub(1);
  });
  self = &pool;
  EXPECT_TRUE(Eventually([&] { return ran >= 200; }));
  EXPECT_EQ(overlap, 0);
}

TEST(ElasticPoolTest, PollsFromTheMonitorWhenEveryThreadIsBlocked) {
  // Both threads are held by tasks: no worker can poll, so the monitor does,
  // without waiting (timeout 0); the server's poller refuses what it cannot
  // queue, so new clients get an answer even now.
  std::atomic<int> monitor_polls{0};
  std::atomic<bool> armed{false};
  ElasticThreadPool pool({2, 2, 4, 30s, 2, 1ms}, [&](int timeout_ms) {
    if (timeout_ms == 0 && armed) ++monitor_polls;
    if (timeout_ms > 0) std::this_thread::sleep_for(1ms);
  });
  Gate gate;
  for (int i = 0; i < 2; ++i) pool.Submit([&] { gate.Wait(); });
  ASSERT_TRUE(Eventually([&] { return pool.Stats().busy == 2; }));
  armed = true;
  EXPECT_TRUE(Eventually([&] { return monitor_polls >= 3; }));
  gate.Open();
}

TEST(ElasticPoolTest, ShutdownRunsQueuedWorkThenRefuses) {
  std::atomic<int> ran{0};
  ElasticThreadPool pool({1, 1, 100, 30s});
  Gate gate;
  ASSERT_TRUE(pool.TrySubmit([&] { gate.Wait(); }));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));
  std::thread opener([&] {
    std::this_thread::sleep_for(50ms);
    gate.Open();
  });
  pool.Shutdown();
  opener.join();
  EXPECT_EQ(ran, 5);
  EXPECT_FALSE(pool.Submit([&] { ++ran; }));
  EXPECT_EQ(pool.Stats().threads, 0u);
}

}  // namespace
}  // namespace fsvc
