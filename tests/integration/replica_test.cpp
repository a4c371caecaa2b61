// Replicas on the s3 backend (FSVC_TEST_STORAGE=s3, tests/s3/run.sh): three
// file-service processes on one bucket serve the same files, links and
// listings; concurrent overwrites end in one complete version; a replica
// killed mid-upload leaves nothing visible, and what it left is swept; a
// replica killed again and again under concurrent writes loses no
// acknowledged write and shows no partial one.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "raw_http.h"
#include "server_process.h"
#include "test_client.h"
#include "write_ledger.h"

namespace fsvc::testing {
namespace {

std::string Bytes(size_t size, char seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>(seed + (i * 7 + i / 4096) % 61);
  return out;
}

class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestsOnS3()) GTEST_SKIP() << "replicas need the s3 backend: tests/s3/run.sh";
    // One data folder name: one bucket for all three.
    for (auto& r : replicas_) {
      ServerProcess::Options options;
      options.data_dir = shared_.path();
      r = std::make_unique<ServerProcess>(options);
      ASSERT_TRUE(r->Start()) << r->Stderr();
    }
  }
  httplib::Client& C(int i) {
    if (!clients_[i]) clients_[i] = replicas_[i]->Client();
    return *clients_[i];
  }
  // A replica on the same bucket, started once what the others left is
  // older than its S3_STALE_UPLOAD_SEC of 1 s: it sweeps that at start.
  std::unique_ptr<ServerProcess> StartSweeper() {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ServerProcess::Options options;
    options.args = {"--s3-stale-upload-sec=1"};
    options.data_dir = shared_.path();
    auto sweeper = std::make_unique<ServerProcess>(options);
    (void)sweeper->Start();
    return sweeper;
  }
  std::string Get(int i, const std::string& target) {
    auto r = C(i).Get(target);
    return r && r->status == 200 ? r->body : "<" + std::to_string(r ? r->status : 0) + ">";
  }

  TempDir shared_;
  std::unique_ptr<ServerProcess> replicas_[3];
  std::unique_ptr<httplib::Client> clients_[3];
};

TEST_F(ReplicaTest, AnyReplicaServesWhatAnotherStored) {
  const std::string small = Bytes(100 << 10, 'a');
  const std::string large = Bytes(20 << 20, 'b');  // three parts, staged and copied
  ASSERT_EQ(C(0).Put("/files/r/small.bin", small, "application/octet-stream")->status, 201);
  ASSERT_EQ(C(0).Put("/files/r/large.bin", large, "application/octet-stream")->status, 201);

  EXPECT_TRUE(Get(1, "/files/r/small.bin") == small);
  EXPECT_TRUE(Get(1, "/files/r/large.bin") == large);
  auto listed = nlohmann::json::parse(Get(1, "/list?path=r"));
  ASSERT_EQ(listed["files"].size(), 2u) << listed.dump();
  EXPECT_EQ(listed["files"][0]["path"], "r/large.bin");
  EXPECT_EQ(listed["files"][0]["size"], large.size());

  // A link one replica issues, another follows (they share LINK_SECRET).
  const std::string link = LinkUrl(C(0), "r/large.bin");
  ASSERT_EQ(link.front(), '/') << link;
  EXPECT_TRUE(Get(2, link) == large);
  auto ranged = C(2).Get(link, {{"Range", "bytes=10-19"}});
  ASSERT_TRUE(ranged);
  EXPECT_EQ(ranged->status, 206);
  EXPECT_EQ(ranged->body, large.substr(10, 10));

  // Deleted through the third: gone everywhere, and the link with it, even
  // from the replica that cached it.
  ASSERT_EQ(C(2).Delete("/files/r/large.bin")->status, 200);
  EXPECT_EQ(Get(0, "/files/r/large.bin"), "<404>");
  EXPECT_EQ(Get(1, link), "<404>");
  EXPECT_EQ(LinkUrl(C(0), "r/large.bin").front(), '<');
}

TEST_F(ReplicaTest, ConcurrentOverwritesEndInOneCompleteVersion) {
  // Within one part (PutObject) and across parts (staged, then copied).
  for (const size_t size : {size_t{256} << 10, size_t{12} << 20}) {
    const std::string bodies[2] = {Bytes(size, 'x'), Bytes(size, 'y')};
    for (int round = 0; round < 3; ++round) {
      std::thread writers[2];
      int status[2] = {0, 0};
      for (int i = 0; i < 2; ++i) {
        writers[i] = std::thread([&, i] {
          auto c = replicas_[i]->Client();
          auto r = c->Put("/files/race.bin", bodies[i], "application/octet-stream");
          status[i] = r ? r->status : 0;
        });
      }
      for (auto& w : writers) w.join();
      for (int s : status) EXPECT_TRUE(s == 200 || s == 201) << s;
      const std::string now = Get(2, "/files/race.bin");
      EXPECT_TRUE(now == bodies[0] || now == bodies[1])
          << size << " bytes, round " << round << ": a mix or a part (" << now.size() << ")";
    }
  }
}

TEST_F(ReplicaTest, KilledMidUploadLeavesNothingVisibleAndIsSwept) {
  RawConnection conn(replicas_[0]->port());
  ASSERT_TRUE(conn.connected());
  constexpr size_t kDeclared = 30 << 20;
  ASSERT_TRUE(conn.Send("PUT /files/k/cut.bin HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                        std::to_string(kDeclared) + "\r\n\r\n"));
  // Past one part: a multipart upload has begun in the bucket.
  ASSERT_TRUE(conn.Send(Bytes(12 << 20, 'k')));
  bool begun = false;
  for (int i = 0; i < 100 && !begun; ++i) {
    for (const auto& k : replicas_[0]->BucketContents()) begun = begun || k.starts_with("upload:");
    if (!begun) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(begun) << "no multipart upload seen";
  replicas_[0]->Stop(SIGKILL);

  EXPECT_EQ(Get(1, "/files/k/cut.bin"), "<404>");
  EXPECT_EQ(Get(1, "/list?path=k"), "<404>") << "not even its folder";
  for (const auto& k : replicas_[1]->BucketContents()) {
    EXPECT_TRUE(k.starts_with("upload:/staging/")) << "visible or left over: " << k;
  }
  // A replica starting later sweeps what is older than S3_STALE_UPLOAD_SEC.
  auto sweeper = StartSweeper();
  ASSERT_TRUE(sweeper->Running()) << sweeper->Stderr();
  EXPECT_NE(sweeper->Stderr().find("stale uploads a replica left behind"), std::string::npos)
      << sweeper->Stderr();
  EXPECT_EQ(sweeper->BucketContents(), std::vector<std::string>{});
}

// The crash suite's kill test on this backend: writers through replica 0,
// SIGKILLed at a random moment and started again, four times. Every
// acknowledged write reads back exact through replica 1 and a killed one is
// there whole or not at all (WriteLedger); the bucket holds the files, folder
// markers and the killed uploads' staging only, and a sweep leaves no staging.
TEST_F(ReplicaTest, RepeatedKillsDuringConcurrentWritesLoseNoAcknowledgedWrite) {
  // One write in four is past a part (8 MiB): staged, then copied into place.
  WriteLedger ledger(6, [](int w, int i) {
    const size_t size = i % 4 == 1 ? size_t{9} << 20 : 1000 + (i * 7919) % 200000;
    return Bytes(size, static_cast<char>('a' + (w + i) % 26));
  });
  for (int kill = 1; kill <= 4; ++kill) {
    ledger.Start(*replicas_[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(500 + 170 * kill));
    replicas_[0]->Stop(SIGKILL);
    ledger.Join();
    ledger.Verify(C(1), "after kill " + std::to_string(kill));
    ASSERT_TRUE(replicas_[0]->Start()) << replicas_[0]->Stderr();
  }
  EXPECT_GT(ledger.acknowledged(), 20u);

  const std::vector<std::string> present = ledger.Present();
  auto known = [&](const std::string& key) {
    return std::find(present.begin(), present.end(), key) != present.end() ||
           (key.size() >= 2 && key.back() == '/' && key.front() == 'w');  // a folder marker
  };
  const std::vector<std::string> keys = replicas_[1]->BucketContents();
  for (const std::string& path : present) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), path), keys.end()) << path;
  }
  for (const std::string& key : keys) {
    EXPECT_TRUE(known(key) || key.starts_with("/staging/") || key.starts_with("upload:/staging/"))
        << "left over: " << key;
  }
  auto sweeper = StartSweeper();
  ASSERT_TRUE(sweeper->Running()) << sweeper->Stderr();
  for (const std::string& key : sweeper->BucketContents()) {
    EXPECT_TRUE(known(key)) << "not swept: " << key;
  }
}

}  // namespace
}  // namespace fsvc::testing
