#include "observability/thread_list.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace fsvc {
namespace {

TEST(ThreadListTest, ListsANamedSleepingThread) {
  std::mutex mu;
  std::condition_variable cv;
  bool named = false, stop = false;
  std::thread worker([&] {
    pthread_setname_np(pthread_self(), "fsvc-test-sleep");
    std::unique_lock<std::mutex> lock(mu);
    named = true;
    cv.notify_all();
    cv.wait(lock, [&] { return stop; });
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return named; });
  }
  // The worker releases the mutex just before it sleeps in the kernel: poll until it does.
  auto worker_sleeping = [](const std::vector<ThreadInfo>& list) {
    for (const auto& t : list) {
      if (t.name == "fsvc-test-sleep" && t.state == 'S') return true;
    }
    return false;
  };
  auto threads = ListThreads();
  for (int i = 0; i < 200 && !worker_sleeping(threads); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    threads = ListThreads();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  cv.notify_all();
  worker.join();

  ASSERT_GE(threads.size(), 2u);
  EXPECT_TRUE(worker_sleeping(threads));  // named, and blocked on the condition variable
  bool found_main = false;
  for (const auto& t : threads) {
    if (t.tid == getpid()) {
      found_main = true;
      EXPECT_EQ(t.state, 'R');  // the thread reading /proc is running
    }
  }
  EXPECT_TRUE(found_main);

  std::string text = ThreadsText(threads);
  EXPECT_EQ(text.rfind("threads: " + std::to_string(threads.size()) + "\n", 0), 0u);
  EXPECT_NE(text.find("\"fsvc-test-sleep\" [S (sleeping)]"), std::string::npos) << text;
  auto j = nlohmann::json::parse(ThreadsJson(threads));
  EXPECT_EQ(j["count"], threads.size());
  EXPECT_EQ(j["threads"].size(), threads.size());
}

}  // namespace
}  // namespace fsvc
