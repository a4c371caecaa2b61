// Real faults injected into the running binary: a full disk, a locked or
// corrupt database at start, and clients that vanish mid-transfer. The
// service must answer with a clear error, keep nothing partial, keep serving
// and leak no descriptor, thread or temp file.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "common/storage_census.h"
#include "fault_helpers.h"
#include "raw_http.h"
#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

std::string RawPut(const std::string& path, const std::string& body) {
  return "PUT " + path + " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

std::string RawMultipart(const std::string& filename, const std::string& body) {
  const std::string form = "--fB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                           filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" +
                           body + "\r\n--fB--\r\n";
  return "POST /upload?path=full HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; "
         "boundary=fB\r\nContent-Length: " +
         std::to_string(form.size()) + "\r\n\r\n" + form;
}

std::string JsonErrorCode(const RawReply& reply) {
  const auto at = reply.text.find("\r\n\r\n");
  if (at == std::string::npos) return "<no response>";
  auto j = nlohmann::json::parse(reply.text.substr(at + 4), nullptr, false);
  if (!j.is_object() || !j.contains("error")) return "<no JSON error: " + reply.text + ">";
  return j["error"]["code"].get<std::string>();
}

size_t FileCount(httplib::Client& c, const std::string& folder) {
  auto res = c.Get("/list?pageSize=1000&path=" + folder);
  return res && res->status == 200 ? Json(res)["files"].size() : 0;
}

TEST(FaultTest, DiskFullFailsUploadsWith507AndRecovers) {
  constexpr size_t kLimit = 8 << 20;
  TempDir dir;
  SmallFilesystem fs(dir.path() + "/small", kLimit);
  ServerProcess::Options options;
  // The default 8 MiB reserve would refuse every upload on this 8 MiB disk;
  // this test is about the disk really filling up, not about the reserve.
  options.env["DISK_RESERVE_BYTES"] = std::to_string(1 << 20);
  if (fs.mounted()) {
    options.data_dir = fs.path() + "/data";
  } else {
    // No mount here: every file the server writes is capped instead.
    options.wrapper = {"prlimit", "--fsize=" + std::to_string(kLimit / 2), "--"};
  }
  ServerProcess server(options);
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client();
  ASSERT_EQ(c->Put("/files/full/keep.txt", "kept", "text/plain")->status, 201);
  const auto blobs_before = testutil::Census(server.data_dir());

  const std::string filler = fs.path() + "/filler";
  if (fs.mounted()) FillLeaving(filler, 256 << 10);
  const std::string big(fs.mounted() ? (2 << 20) : kLimit, 'B');

  const RawReply raw = SendRaw(server.port(), RawPut("/files/full/big.bin", big));
  EXPECT_EQ(raw.status, 507) << raw.text.substr(0, 400);
  EXPECT_EQ(JsonErrorCode(raw), "insufficient_storage");
  const RawReply form = SendRaw(server.port(), RawMultipart("big.bin", big));
  EXPECT_EQ(form.status, 507) << form.text.substr(0, 400);
  EXPECT_EQ(JsonErrorCode(form), "insufficient_storage");

  // Nothing partial remains, and reads keep working.
  EXPECT_EQ(ListFiles(server.data_dir() + "/tmp"), std::vector<std::string>{});
  EXPECT_EQ(testutil::Census(server.data_dir()), blobs_before);
  EXPECT_EQ(c->Get("/files/full/big.bin")->status, 404);
  EXPECT_EQ(c->Get("/files/full/keep.txt")->body, "kept");
  EXPECT_EQ(FileCount(*c, "full"), 1u);

  // Space comes back: so do uploads.
  if (fs.mounted()) {
    ASSERT_EQ(std::remove(filler.c_str()), 0);
  }
  const std::string fits(1 << 20, 'F');
  auto ok = c->Put("/files/full/fits.bin", fits, "application/octet-stream");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 201) << ok->body;
  EXPECT_EQ(Sha256Hex(c->Get("/files/full/fits.bin")->body), Sha256Hex(fits));
  EXPECT_TRUE(server.Running());
}

void Populate(const std::string& data_dir) {
  ServerProcess server({{}, {}, {}, data_dir});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(server.Client()
                  ->Put("/files/p/f" + std::to_string(i), std::string(1000, 'x'), "text/plain")
                  ->status,
              201);
  }
}

TEST(FaultTest, CorruptDatabaseIsAClearErrorAtStart) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  Populate(data);
  {
    std::fstream db(data + "/metadata.db", std::ios::in | std::ios::out | std::ios::binary);
    db.seekp(0);
    db << std::string(4096, '\x5a');  // header and the schema page
  }
  const auto [status, log] = RunToExit(data);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal\n" << log;
  EXPECT_EQ(WEXITSTATUS(status), 1) << log;
  EXPECT_NE(log.find("cannot open storage"), std::string::npos) << log;
  EXPECT_EQ(log.find("listening on"), std::string::npos) << log;
}

TEST(FaultTest, TruncatedDatabaseIsAClearErrorAtStart) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  Populate(data);
  ASSERT_EQ(::truncate((data + "/metadata.db").c_str(), 4096 + 100), 0);
  ::unlink((data + "/metadata.db-wal").c_str());
  const auto [status, log] = RunToExit(data);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal\n" << log;
  EXPECT_EQ(WEXITSTATUS(status), 1) << log;
  EXPECT_NE(log.find("cannot open storage"), std::string::npos) << log;
}

TEST(FaultTest, LockedDatabaseIsAClearErrorAtStart) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  Populate(data);
  // Another process (this one) holds the database exclusively.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data + "/metadata.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; "
                         "CREATE TABLE IF NOT EXISTS lock_holder(x); INSERT INTO lock_holder "
                         "VALUES(1);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  const auto [status, log] = RunToExit(data);
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal\n" << log;
  EXPECT_EQ(WEXITSTATUS(status), 1) << log;
  EXPECT_NE(log.find("cannot open storage"), std::string::npos) << log;
  EXPECT_NE(log.find("locked"), std::string::npos) << log;
  // Released, the same data starts and serves.
  ServerProcess server({{}, {}, {}, data});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  EXPECT_EQ(FileCount(*server.Client(), "p"), 50u);
}

int ThreadCount(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
  }
  return -1;
}

// Waits until the server's fd count is back to `fds` (it notices a vanished
// client at its next read or write); returns the last count seen.
int SettledFdCount(const ServerProcess& server, int fds) {
  int now = server.OpenFdCount();
  for (int i = 0; i < 100 && now != fds; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    now = server.OpenFdCount();
  }
  return now;
}

// One upload cut after 1 MiB of a declared `declared` bytes, raw and
// multipart (reset with SO_LINGER 0 for even `i`, closed politely for odd),
// and one download abandoned after its first 64 KiB.
void CutTransfers(int port, const std::string& declared, int i) {
  for (const std::string& head :
       {"PUT /files/big/cut" + std::to_string(i) +
            " HTTP/1.1\r\nHost: t\r\nContent-Length: " + declared + "\r\n\r\n",
        "POST /upload?path=big HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; "
        "boundary=cB\r\nContent-Length: " +
            declared +
            "\r\n\r\n--cB\r\nContent-Disposition: form-data; name=\"file\"; "
            "filename=\"cut.bin\"\r\n\r\n"}) {
    UniqueFd fd = ConnectRaw(port);
    ASSERT_TRUE(fd.valid());
    const std::string bytes = head + std::string(1 << 20, 'u');
    ASSERT_EQ(::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
    if (i % 2 == 0) {
      linger hard{1, 0};
      ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
  }
  UniqueFd fd = ConnectRaw(port);
  ASSERT_TRUE(fd.valid());
  const std::string get = "GET /files/big/download.bin HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_GT(::send(fd.get(), get.data(), get.size(), MSG_NOSIGNAL), 0);
  char buf[65536];
  ASSERT_GT(::recv(fd.get(), buf, sizeof buf, MSG_WAITALL), 0);
}

TEST(FaultTest, ClientsVanishingMidTransferLeakNothing) {
  ServerProcess server({{"--threads=8"}, {}, {}, {}});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client();
  const std::string content(8 << 20, 'D');
  ASSERT_EQ(c->Put("/files/big/download.bin", content, "application/octet-stream")->status, 201);
  // Warm up every code path once so lazily opened descriptors (SQLite
  // readers, blob dirs) are counted in the baseline.
  ASSERT_EQ(c->Get("/files/big/download.bin")->body.size(), content.size());
  c.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int fds = server.OpenFdCount();
  const int threads = ThreadCount(server.pid());
  ASSERT_GT(fds, 0);

  const std::string declared = std::to_string(64 << 20);
  // Two rounds: a leak grows with every round, a pool that grows on demand
  // stays within its bound.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 10; ++i) {
      CutTransfers(server.port(), declared, i);
    }
    EXPECT_EQ(SettledFdCount(server, fds), fds) << "round " << round;
    EXPECT_LE(ThreadCount(server.pid()), threads + 8) << "round " << round;
  }
  for (int i = 0; i < 100 && !ListFiles(server.data_dir() + "/tmp").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(ListFiles(server.data_dir() + "/tmp"), std::vector<std::string>{});
  c = server.Client();
  EXPECT_EQ(FileCount(*c, "big"), 1u);
  EXPECT_EQ(c->Get("/files/big/cut0")->status, 404);
  EXPECT_EQ(Sha256Hex(c->Get("/files/big/download.bin")->body), Sha256Hex(content));
}

}  // namespace
}  // namespace fsvc::testing
