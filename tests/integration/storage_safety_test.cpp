// Storage safety against the real binary: links that outlive their file,
// two instances on one data folder, a full disk, and uploads cut off by the
// end of the shutdown grace.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "fault_helpers.h"
#include "raw_http.h"
#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

// Waits until `dir` holds at least one file; false after ~5 s.
bool WaitForFile(const std::string& dir) {
  for (int i = 0; i < 250; ++i) {
    if (!ListFiles(dir).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// An upload that sends its headers and 128 KiB of a 10 MiB body, then
// stalls: the server holds a temp file for it until the socket goes away.
UniqueFd BeginStalledUpload(int port, const std::string& path) {
  UniqueFd fd = ConnectRaw(port);
  const std::string head = "PUT /files/" + path +
                           " HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\n"
                           "Content-Length: 10485760\r\n\r\n";
  const std::string body(128 << 10, 's');
  for (const std::string* part : {&head, &body}) {
    if (::send(fd.get(), part->data(), part->size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(part->size())) {
      return UniqueFd();
    }
  }
  return fd;
}

TEST(StorageSafetyTest, LinkNeverServesAnotherFile) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client();
  ASSERT_EQ(c->Put("/files/x/a.txt", "public a", "text/plain")->status, 201);
  const std::string old_link = LinkUrl(*c, "x/a.txt");
  ASSERT_EQ(old_link.rfind("/d/", 0), 0u) << old_link;
  EXPECT_EQ(c->Get(old_link)->body, "public a");

  // The reported attack: the deleted file's row id goes to the next upload.
  ASSERT_EQ(c->Delete("/files/x/a.txt")->status, 200);
  ASSERT_EQ(c->Put("/files/private/b.txt", "private b", "text/plain")->status, 201);
  auto after_delete = c->Get(old_link);
  ASSERT_TRUE(after_delete);
  EXPECT_EQ(after_delete->status, 404) << after_delete->body;
  EXPECT_EQ(after_delete->body.find("private b"), std::string::npos);
  EXPECT_EQ(ErrorCode(after_delete), "not_found");

  // Same path, other content: the old link stays dead; a new link works.
  ASSERT_EQ(c->Put("/files/x/a.txt", "replacement a", "text/plain")->status, 201);
  EXPECT_EQ(c->Get(old_link)->status, 404);
  const std::string new_link = LinkUrl(*c, "x/a.txt");
  EXPECT_NE(new_link, old_link);
  EXPECT_EQ(c->Get(new_link)->body, "replacement a");
  ASSERT_EQ(c->Put("/files/x/a.txt", "replaced again", "text/plain")->status, 200);
  EXPECT_EQ(c->Get(new_link)->status, 404) << "an overwrite must kill links to the old bytes";
  EXPECT_EQ(c->Get(LinkUrl(*c, "x/a.txt"))->body, "replaced again");

  // The same bytes put back under the path: the link names content, so it
  // serves again (it is exactly what was linked).
  ASSERT_EQ(c->Put("/files/x/a.txt", "replacement a", "text/plain")->status, 200);
  EXPECT_EQ(c->Get(new_link)->body, "replacement a");

  // A path near the store's 1 KiB limit still makes a working, URL-safe link.
  const std::string seg(240, 'd');
  const std::string deep = seg + "/" + seg + "/" + seg + "/" + seg + "/f.txt";
  ASSERT_EQ(c->Put("/files/" + deep, "deep", "text/plain")->status, 201);
  const std::string deep_link = LinkUrl(*c, deep);
  EXPECT_EQ(deep_link.find_first_not_of(
                "/dABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(c->Get(deep_link)->body, "deep");
}

TEST(StorageSafetyTest, SecondInstanceOnTheSameFolderExitsAndTouchesNothing) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  ServerProcess first({{}, {}, {}, data});
  ASSERT_TRUE(first.Start()) << first.Stderr();
  auto c = first.Client();
  ASSERT_EQ(c->Put("/files/k/kept.txt", "kept", "text/plain")->status, 201);
  const UniqueFd upload = BeginStalledUpload(first.port(), "k/inflight.bin");
  ASSERT_TRUE(upload.valid());
  ASSERT_TRUE(WaitForFile(data + "/tmp")) << "the upload never reached the disk";
  const auto temps = ListFiles(data + "/tmp");

  const auto [status, log] = RunToExit(data);
  ASSERT_TRUE(WIFEXITED(status)) << log;
  EXPECT_NE(WEXITSTATUS(status), 0) << log;
  EXPECT_NE(log.find("data folder " + data + " is in use by another file-service (pid " +
                     std::to_string(first.pid()) + ")"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("listening on"), std::string::npos) << log;

  EXPECT_EQ(ListFiles(data + "/tmp"), temps) << "the second instance swept the first's uploads";
  EXPECT_TRUE(first.Running());
  EXPECT_EQ(c->Get("/files/k/kept.txt")->body, "kept");
}

// Fills the filesystem holding `file` to the last byte.
void FillCompletely(const std::string& file) {
  FillLeaving(file, 0);
  const UniqueFd fd(::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  const std::string page(4096, 'f');
  while (::write(fd.get(), page.data(), page.size()) > 0) {
  }
}

TEST(StorageSafetyTest, FullDiskRefusesWritesWith507ButStillDeletes) {
  TempDir dir;
  SmallFilesystem small(dir.path() + "/small", 20 << 20);
  if (!small.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here";
  const std::string data = small.path() + "/data";
  ServerProcess::Options options{{}, {{"DISK_RESERVE_BYTES", std::to_string(8 << 20)}}, {}, data};
  auto server = std::make_unique<ServerProcess>(options);
  ASSERT_TRUE(server->Start()) << server->Stderr();
  auto c = server->Client();
  ASSERT_EQ(c->Put("/files/keep/a.txt", "a", "text/plain")->status, 201);
  ASSERT_EQ(c->Put("/files/keep/b.txt", "b", "text/plain")->status, 201);

  // An upload that would pass the reserve is cut off, not allowed to fill.
  const RawReply big = SendRaw(
      server->port(), "PUT /files/keep/big.bin HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                          std::to_string(16 << 20) + "\r\n\r\n" + std::string(16 << 20, 'B'));
  EXPECT_EQ(big.status, 507) << big.text.substr(0, 400);
  EXPECT_EQ(ListFiles(data + "/tmp"), std::vector<std::string>{});
  EXPECT_EQ(c->Get("/files/keep/big.bin")->status, 404);

  // Something else fills the disk to the last byte.
  const std::string filler = small.path() + "/filler";
  FillCompletely(filler);
  auto put = c->Put("/files/keep/c.txt", "c", "text/plain");
  EXPECT_EQ(put->status, 507) << put->body;
  EXPECT_EQ(ErrorCode(put), "insufficient_storage");
  auto folder = c->Post("/create-folder?path=newfolder");
  EXPECT_EQ(folder->status, 507) << folder->body;
  EXPECT_EQ(ErrorCode(folder), "insufficient_storage");

  auto del = c->Delete("/files/keep/a.txt");
  EXPECT_EQ(del->status, 200) << del->body;
  EXPECT_EQ(c->Get("/files/keep/a.txt")->status, 404);

  // Still full across a restart: it starts, and deletes keep working.
  server->Stop(SIGTERM);
  server = std::make_unique<ServerProcess>(options);
  ASSERT_TRUE(server->Start()) << server->Stderr();
  c = server->Client();
  auto del2 = c->Delete("/files/keep/b.txt");
  EXPECT_EQ(del2->status, 200) << del2->body;

  // Space comes back: so do writes.
  ASSERT_EQ(std::remove(filler.c_str()), 0);
  auto again = c->Put("/files/keep/c.txt", std::string(1 << 20, 'c'), "text/plain");
  EXPECT_EQ(again->status, 201) << again->body;
  EXPECT_EQ(c->Post("/create-folder?path=newfolder")->status, 201);
  EXPECT_TRUE(server->Running());
}

TEST(StorageSafetyTest, UploadsCutOffAtShutdownLeaveNoTempFiles) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  ServerProcess server({{"--shutdown-grace=1"}, {}, {}, data});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  const UniqueFd upload = BeginStalledUpload(server.port(), "cut/off.bin");
  ASSERT_TRUE(upload.valid());
  ASSERT_TRUE(WaitForFile(data + "/tmp")) << "the upload never reached the disk";

  const int status = server.Stop(SIGTERM);  // the stalled upload outlasts the grace
  EXPECT_TRUE(WIFEXITED(status)) << server.Stderr();
  EXPECT_EQ(ListFiles(data + "/tmp"), std::vector<std::string>{}) << server.Stderr();
}

}  // namespace
}  // namespace fsvc::testing
