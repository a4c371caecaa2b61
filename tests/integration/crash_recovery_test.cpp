// A server killed with SIGKILL mid-upload restarts with nothing partial
// visible: no temp file, no row without a blob, no blob without a row (for
// small files kept in segments: no bytes a row does not name), and every
// acknowledged upload intact.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "common/storage_census.h"
#include "server_process.h"
#include "test_client.h"
#include "write_ledger.h"

namespace fsvc::testing {
namespace {

// The census the rows of `folders` imply: a file blob each for large files, and the blocks
// of their segment ranges for small ones.
testutil::StorageCensus CensusOfRows(httplib::Client& c, const std::vector<std::string>& folders) {
  testutil::StorageCensus want;
  for (const std::string& folder : folders) {
    auto res = c.Get("/list?pageSize=1000&path=" + folder);
    if (!res || res->status != 200) continue;
    const auto listing = Json(res);  // alive for the loop: a temporary's ["files"] would not be
    for (const auto& f : listing["files"]) {
      const uint64_t span = testutil::SegmentSpan(f["size"].get<uint64_t>());
      want.segment_bytes += span;
      want.file_blobs += span == 0 ? 1 : 0;
    }
  }
  return want;
}

TEST(CrashRecoveryTest, SigkillMidUploadLeavesNothingPartial) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  {
    ServerProcess server({{}, {}, {}, data});
    ASSERT_TRUE(server.Start()) << server.Stderr();
    auto c = server.Client();
    ASSERT_EQ(c->Put("/files/safe/kept.txt", "acknowledged", "text/plain")->status, 201);

    // A slow upload: 64 KiB now, then the server dies before the rest.
    std::atomic<bool> sent_some{false};
    std::thread uploader([&] {
      auto slow = server.Client(10);
      slow->Put(
          "/files/safe/partial.bin", 10 << 20,
          [&](size_t, size_t, httplib::DataSink& sink) {
            std::string chunk(64 * 1024, 'p');
            const bool ok = sink.write(chunk.data(), chunk.size());
            sent_some = true;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            return ok;
          },
          "application/octet-stream");
    });
    for (int i = 0; i < 100 && (!sent_some || ListFiles(data + "/tmp").empty()); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_FALSE(ListFiles(data + "/tmp").empty()) << "the upload never reached the disk";
    server.Stop(SIGKILL);
    uploader.join();
  }
  ServerProcess restarted({{}, {}, {}, data});
  ASSERT_TRUE(restarted.Start()) << restarted.Stderr();
  EXPECT_NE(restarted.Stderr().find("recovered from an unclean stop"), std::string::npos);
  auto c = restarted.Client();
  EXPECT_TRUE(ListFiles(data + "/tmp").empty());
  EXPECT_EQ(c->Get("/files/safe/partial.bin")->status, 404);
  EXPECT_EQ(c->Get("/files/safe/kept.txt")->body, "acknowledged");
  EXPECT_EQ(testutil::Census(data), CensusOfRows(*c, {"safe"}));
}

// Many concurrent writers (new files, overwrites, deletes), so that commits
// travel in shared groups, and a SIGKILL at a random moment, several times
// over: after each restart every acknowledged write is there with its exact
// bytes (WriteLedger), and blobs and rows match one to one.
TEST(CrashRecoveryTest, RepeatedKillsDuringConcurrentWrites) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  WriteLedger ledger(16, [](int, int i) {
    return std::string(1000 + (i * 7919) % 200000, static_cast<char>('a' + i % 26));
  });
  double grouped_commits = 0;  // commits that shared a group with another
  constexpr int kKills = 6;
  for (int round = 0; round <= kKills; ++round) {  // the last round only checks
    ServerProcess server({{}, {}, {}, data});
    ASSERT_TRUE(server.Start()) << server.Stderr();
    {
      auto c = server.Client();
      ledger.Verify(*c, "in round " + std::to_string(round));
      EXPECT_TRUE(ListFiles(data + "/tmp").empty());
      EXPECT_EQ(testutil::Census(data), CensusOfRows(*c, ledger.folders())) << "round " << round;
    }
    if (round == kKills) break;
    ledger.Start(server);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + 97 * round));
    if (auto metrics = server.Client()->Get("/metrics")) {
      grouped_commits += MetricValue(metrics->body, "fsvc_storage_commits_total") -
                         MetricValue(metrics->body, "fsvc_storage_commit_groups_total");
    }
    server.Stop(SIGKILL);
    ledger.Join();
  }
  EXPECT_GT(ledger.acknowledged(), 50u);
  EXPECT_GT(grouped_commits, 0) << "no two commits ever shared a group: group commit untested";
}

TEST(ShutdownTest, SigtermFinishesInFlightRequestAndExitsCleanly) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.Stderr();
  std::atomic<int> status{0};
  std::thread slow([&] {
    auto c = server.Client(20);
    auto res = c->Put(
        "/files/inflight.bin", 4 << 20,
        [](size_t, size_t, httplib::DataSink& sink) {
          std::string chunk(512 * 1024, 's');
          std::this_thread::sleep_for(std::chrono::milliseconds(150));
          return sink.write(chunk.data(), chunk.size());
        },
        "application/octet-stream");
    status = res ? res->status : -1;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int wait_status = server.Stop(SIGTERM);
  slow.join();
  EXPECT_EQ(status.load(), 201) << "the in-flight upload was cut off";
  EXPECT_TRUE(WIFEXITED(wait_status));
  EXPECT_EQ(WEXITSTATUS(wait_status), 0);
}

}  // namespace
}  // namespace fsvc::testing
