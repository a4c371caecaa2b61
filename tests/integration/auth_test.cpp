// Access control against the real binary: 401 without a known key (with
// WWW-Authenticate), 403 for a key whose role is too low, open routes open,
// keys from a file (plain or hashed) and from API_KEYS, and a refusal that
// says nothing about whether the path exists.
#include <gtest/gtest.h>

#include <fstream>

#include "raw_http.h"
#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

const std::string kReadKey = "read-key-0123456789abcdef";
const std::string kWriteKey = "write-key-0123456789abcdef";
const std::string kAdminKey = "admin-key-0123456789abcdef";
const std::string kFileKey = "file-key-0123456789abcdef";    // plain, in the keys file
const std::string kHashedKey = "hashed-key-0123456789abcd";  // by its SHA-256, in the file

httplib::Headers Bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_file_ = keys_dir_.path() + "/keys";
    std::ofstream(keys_file_) << "# test keys\n\nread:" << kFileKey << "\n"
                              << "write sha256:" << Sha256Hex(kHashedKey) << "\n";
    server_ = std::make_unique<ServerProcess>(ServerProcess::Options{
        // Profiling on, so that the admin rows under /debug/pprof exist.
        {"--auth=on", "--api-keys-file=" + keys_file_, "--enable-profiling=true"},
        {{"API_KEYS", "read:" + kReadKey + ", write:" + kWriteKey + ",admin:" + kAdminKey}},
        {},
        {}});
    ASSERT_TRUE(server_->Start()) << server_->Stderr();
    client_ = server_->Client();
    ASSERT_EQ(client_->Put("/files/docs/a.txt", Bearer(kWriteKey), "alpha", "text/plain")->status,
              201);
  }

  TempDir keys_dir_;
  std::string keys_file_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(AuthTest, NoKeyIs401WithChallengeAndJson) {
  auto res = client_->Get("/files/docs/a.txt");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(ErrorCode(res), "unauthorized");
  EXPECT_EQ(res->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u);
  EXPECT_EQ(client_->Get("/list")->status, 401);
  EXPECT_EQ(client_->Get("/list-folders")->status, 401);
  EXPECT_EQ(client_->Delete("/files/docs/a.txt")->status, 401);
  EXPECT_EQ(client_->Put("/files/docs/b.txt", "beta", "text/plain")->status, 401);
  EXPECT_EQ(client_->Get("/files/docs/a.txt", Bearer(kWriteKey))->body, "alpha");
}

TEST_F(AuthTest, UnknownOrMalformedCredentialsAre401) {
  for (const httplib::Headers& h : std::vector<httplib::Headers>{
           Bearer("not-a-configured-key-at-all"),
           Bearer(kReadKey + "x"),
           Bearer(kReadKey.substr(0, kReadKey.size() - 1)),
           Bearer(""),
           {{"Authorization", "Basic " + kReadKey}},
           {{"Authorization", kReadKey}},
           {{"Authorization", "Bearer sha256:" + Sha256Hex(kHashedKey)}},  // the hash is no key
           {{"X-Api-Key", kReadKey}},
       }) {
    auto res = client_->Get("/files/docs/a.txt", h);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << h.begin()->second;
    EXPECT_EQ(ErrorCode(res), "unauthorized");
  }
}

TEST_F(AuthTest, RefusalIsTheSameForExistingAndMissingPaths) {
  for (const auto& key : {std::string(), std::string("wrong-key-0123456789abcdef")}) {
    const auto h = key.empty() ? httplib::Headers{} : Bearer(key);
    auto present = client_->Get("/files/docs/a.txt", h);
    auto absent = client_->Get("/files/docs/missing.txt", h);
    auto bad = client_->Get("/files/..%2Fetc%2Fpasswd", h);
    ASSERT_TRUE(present && absent && bad);
    EXPECT_EQ(present->status, 401);
    EXPECT_EQ(absent->status, present->status);
    EXPECT_EQ(absent->body, present->body);
    EXPECT_EQ(bad->body, present->body);
  }
  // A read-only key overwriting an existing or a new path: the same 403.
  auto existing = client_->Put("/files/docs/a.txt", Bearer(kReadKey), "x", "text/plain");
  auto fresh = client_->Put("/files/docs/new.txt", Bearer(kReadKey), "x", "text/plain");
  ASSERT_TRUE(existing && fresh);
  EXPECT_EQ(existing->status, 403);
  EXPECT_EQ(fresh->body, existing->body);
  EXPECT_EQ(client_->Get("/files/docs/a.txt", Bearer(kReadKey))->body, "alpha");
}

TEST_F(AuthTest, ReadRoleReadsButCannotWrite) {
  const auto h = Bearer(kReadKey);
  EXPECT_EQ(client_->Get("/files/docs/a.txt", h)->body, "alpha");
  EXPECT_EQ(client_->Head("/files/docs/a.txt", h)->status, 200);
  EXPECT_EQ(client_->Get("/list?path=docs", h)->status, 200);
  EXPECT_EQ(client_->Get("/files/docs/missing.txt", h)->status, 404);
  auto put = client_->Put("/files/docs/b.txt", h, "beta", "text/plain");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 403);
  EXPECT_EQ(ErrorCode(put), "forbidden");
  EXPECT_TRUE(put->get_header_value("WWW-Authenticate").empty());
  EXPECT_EQ(client_->Delete("/files/docs/a.txt", h)->status, 403);
  EXPECT_EQ(client_->Post("/create-folder?path=x", h, "", "text/plain")->status, 403);
  EXPECT_EQ(client_->Delete("/delete-folder?path=docs", h)->status, 403);
  httplib::MultipartFormDataItems form = {{"file", "c", "c.txt", "text/plain"}};
  EXPECT_EQ(client_->Post("/upload", h, form)->status, 403);
  EXPECT_EQ(client_->Post("/batch-upload", h, form)->status, 403);
  EXPECT_EQ(client_->Get("/files/docs/a.txt", h)->body, "alpha");
  EXPECT_EQ(client_->Get("/files/docs/c.txt", h)->status, 404);
}

TEST_F(AuthTest, ReadRoleMayMintLinks) {
  // Whether or not the link routes are registered in this build, the key
  // must get past access control: anything but 401/403.
  const auto h = Bearer(kReadKey);
  auto batch =
      client_->Post("/batch-download", h, R"({"paths":["docs/a.txt"]})", "application/json");
  ASSERT_TRUE(batch);
  EXPECT_NE(batch->status, 401);
  EXPECT_NE(batch->status, 403);
  EXPECT_EQ(
      client_->Post("/batch-download", R"({"paths":["docs/a.txt"]})", "application/json")->status,
      401);
}

TEST_F(AuthTest, WriteRoleWritesAndReads) {
  const auto h = Bearer(kWriteKey);
  EXPECT_EQ(client_->Put("/files/docs/b.txt", h, "beta", "text/plain")->status, 201);
  EXPECT_EQ(client_->Get("/files/docs/b.txt", h)->body, "beta");
  EXPECT_EQ(client_->Post("/create-folder?path=made", h, "", "text/plain")->status, 201);
  httplib::MultipartFormDataItems form = {{"file", "c", "c.txt", "text/plain"}};
  EXPECT_EQ(client_->Post("/upload?path=docs", h, form)->status, 201);
  EXPECT_EQ(client_->Delete("/files/docs/b.txt", h)->status, 200);
  // Admin routes stay closed to it.
  EXPECT_EQ(client_->Get("/debug/pprof/", h)->status, 403);
  EXPECT_EQ(client_->Post("/metrics/reset", h, "", "text/plain")->status, 403);
  EXPECT_EQ(client_->Post("/debug/purge", h, "", "text/plain")->status, 403);
}

TEST_F(AuthTest, AdminRoutesNeedAdmin) {
  for (const char* path : {"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof"}) {
    EXPECT_EQ(client_->Get(path)->status, 401) << path;
    EXPECT_EQ(client_->Get(path, Bearer(kReadKey))->status, 403) << path;
    auto admin = client_->Get(path, Bearer(kAdminKey));
    ASSERT_TRUE(admin);
    EXPECT_NE(admin->status, 401);
    EXPECT_NE(admin->status, 403);
  }
  auto reset = client_->Post("/metrics/reset", Bearer(kAdminKey), "", "text/plain");
  ASSERT_TRUE(reset);
  EXPECT_NE(reset->status, 401);
  EXPECT_NE(reset->status, 403);
  // Admin includes the lower roles.
  EXPECT_EQ(client_->Put("/files/docs/admin.txt", Bearer(kAdminKey), "z", "text/plain")->status,
            201);
}

TEST_F(AuthTest, OpenRoutesNeedNoKey) {
  EXPECT_EQ(client_->Get("/ping")->status, 200);
  EXPECT_EQ(client_->Get("/health")->status, 200);
  for (const char* path : {"/metrics", "/d/not-a-real-token"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res);
    EXPECT_NE(res->status, 401) << path;
  }
  // An open row does not open what lies behind a dot segment: patterns
  // match literally, so no row (and no handler) is reached.
  auto dotted = client_->Get("/metrics/../debug/pprof/");
  ASSERT_TRUE(dotted);
  EXPECT_TRUE(dotted->status == 400 || dotted->status == 404) << dotted->status;
}

TEST_F(AuthTest, KeysFromTheFilePlainAndHashed) {
  EXPECT_EQ(client_->Get("/files/docs/a.txt", Bearer(kFileKey))->body, "alpha");
  EXPECT_EQ(client_->Put("/files/docs/f.txt", Bearer(kFileKey), "f", "text/plain")->status, 403);
  EXPECT_EQ(client_->Put("/files/docs/h.txt", Bearer(kHashedKey), "h", "text/plain")->status, 201);
  // The scheme is case-insensitive (RFC 9110).
  EXPECT_EQ(client_->Get("/files/docs/h.txt", {{"Authorization", "bearer " + kHashedKey}})->body,
            "h");
}

TEST_F(AuthTest, RefusedUploadClosesTheConnectionAndStoresNothing) {
  // Raw bytes, read while sending: the server answers before it has read
  // the body, which an HTTP client that writes the whole body first may miss.
  const RawReply reply = SendRaw(
      server_->port(), "PUT /files/docs/big.bin HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                           std::to_string(1 << 20) + "\r\n\r\n" + std::string(1 << 20, 'u'));
  EXPECT_EQ(reply.status, 401) << reply.text.substr(0, 400);
  EXPECT_NE(reply.text.find("Connection: close"), std::string::npos) << reply.text.substr(0, 400);
  EXPECT_EQ(client_->Get("/files/docs/big.bin", Bearer(kReadKey))->status, 404);
  EXPECT_TRUE(ListFiles(server_->data_dir() + "/tmp").empty());
}

std::string FailedStartLog(std::vector<std::string> args, std::map<std::string, std::string> env) {
  ServerProcess server({std::move(args), std::move(env), {}, {}});
  EXPECT_FALSE(server.Start()) << "started although it should refuse";
  return server.Stderr();
}

TEST(AuthStartTest, AuthOnWithoutKeysRefusesToStart) {
  const std::string log = FailedStartLog({"--auth=on"}, {});
  EXPECT_NE(log.find("no API key is configured"), std::string::npos) << log;
}

TEST(AuthStartTest, BadKeysRefuseToStartWithoutEchoingTheKey) {
  TempDir dir;
  const std::string file = dir.path() + "/keys";
  std::ofstream(file) << "read:" << kReadKey << "\nsuperuser:secret-value-0123456789\n";
  std::string log = FailedStartLog({"--auth=on", "--api-keys-file=" + file}, {});
  EXPECT_NE(log.find("line 2"), std::string::npos) << log;
  EXPECT_NE(log.find("unknown role"), std::string::npos) << log;
  EXPECT_EQ(log.find("secret-value"), std::string::npos) << log;

  log = FailedStartLog({"--auth=on"}, {{"API_KEYS", "read:short"}});
  EXPECT_NE(log.find("shorter than"), std::string::npos) << log;
  EXPECT_EQ(log.find("short\n"), std::string::npos) << log;

  log = FailedStartLog({"--auth=on", "--api-keys-file=" + dir.path() + "/absent"}, {});
  EXPECT_NE(log.find("cannot read API keys file"), std::string::npos) << log;

  log = FailedStartLog({"--auth=on"}, {{"API_KEYS", "write sha256:abc"}});
  EXPECT_NE(log.find("64 hex digits"), std::string::npos) << log;
}

TEST(AuthStartTest, AuthOffIsAnnouncedLoudly) {
  ServerProcess server({{"--auth=off"}, {}, {}, {}});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  EXPECT_NE(server.Stderr().find("AUTH=off: access control is DISABLED"), std::string::npos);
  EXPECT_EQ(server.Client()->Put("/files/open.txt", "o", "text/plain")->status, 201);
}

}  // namespace
}  // namespace fsvc::testing
