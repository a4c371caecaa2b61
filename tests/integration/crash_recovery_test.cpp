// A server killed with SIGKILL mid-upload restarts with nothing partial
// visible: no temp file, no row without a blob, no blob without a row (for
// small files kept in segments: no bytes a row does not name), and every
// acknowledged upload intact.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "common/storage_census.h"
#include "server_process.h"
#include "test_client.h"

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
// bytes, and blobs and rows match one to one. A write whose answer never
// arrived may or may not have happened, so for those paths either state is
// accepted (and then becomes the known one).
TEST(CrashRecoveryTest, RepeatedKillsDuringConcurrentWrites) {
  constexpr int kWriters = 16;
  TempDir dir;
  const std::string data = dir.path() + "/data";
  struct PathState {
    std::string acked;                   // sha256, or "" for absent
    std::optional<std::string> pending;  // sent, answer not seen
  };
  std::map<std::string, PathState> states;
  std::mutex mu;
  size_t acknowledged_writes = 0;
  double grouped_commits = 0;  // commits that shared a group with another
  for (int round = 0; round < 6; ++round) {
    ServerProcess server({{}, {}, {}, data});
    ASSERT_TRUE(server.Start()) << server.Stderr();
    {
      auto c = server.Client();
      for (auto& [path, st] : states) {
        auto res = c->Get("/files/" + path);
        ASSERT_TRUE(res);
        const std::string found = res->status == 200 ? Sha256Hex(res->body) : "";
        if (res->status != 200) {
          EXPECT_EQ(res->status, 404) << path;
        }
        EXPECT_TRUE(found == st.acked || (st.pending && found == *st.pending))
            << path << " in round " << round << ": found '" << found << "', acknowledged '"
            << st.acked << "'";
        st = {found, std::nullopt};
      }
      EXPECT_TRUE(ListFiles(data + "/tmp").empty());
      std::vector<std::string> folders;
      for (int w = 0; w < kWriters; ++w) folders.push_back("w" + std::to_string(w));
      EXPECT_EQ(testutil::Census(data), CensusOfRows(*c, folders)) << "round " << round;
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        auto c = server.Client(5);
        for (int i = 0; !stop; ++i) {
          const std::string path = "w" + std::to_string(w) + "/f" + std::to_string(i % 7);
          const bool del = i % 5 == 4;
          const std::string body(1000 + (i * 7919) % 200000, static_cast<char>('a' + i % 26));
          const std::string next = del ? "" : Sha256Hex(body);
          {
            std::lock_guard lock(mu);
            states[path].pending = next;
          }
          auto res = del ? c->Delete("/files/" + path)
                         : c->Put("/files/" + path, body, "application/octet-stream");
          const bool applied =
              res && (res->status == 200 || res->status == 201 || (del && res->status == 404));
          if (!applied) break;  // the server is gone: the answer is unknown
          std::lock_guard lock(mu);
          states[path] = {next, std::nullopt};
          ++acknowledged_writes;
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + 97 * round));
    if (auto metrics = server.Client()->Get("/metrics")) {
      grouped_commits += MetricValue(metrics->body, "fsvc_storage_commits_total") -
                         MetricValue(metrics->body, "fsvc_storage_commit_groups_total");
    }
    server.Stop(SIGKILL);
    stop = true;
    for (auto& t : writers) t.join();
  }
  EXPECT_GT(acknowledged_writes, 50u);
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
