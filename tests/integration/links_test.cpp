// Signed download links and the rate limiter against the real binary.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "raw_http.h"
#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

TEST(LinksTest, LinkServesTheFileWithRangeAndEtag) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client();
  ASSERT_EQ(c->Put("/files/l/a.txt", "linked content", "text/plain")->status, 201);
  auto dl = c->Get("/download?path=l/a.txt");
  ASSERT_EQ(dl->status, 200);
  const auto j = Json(dl);
  const std::string url = j["url"];
  EXPECT_EQ(url.rfind("/d/", 0), 0u);
  EXPECT_GT(j["expires_at_unix"].get<int64_t>(), std::time(nullptr));
  EXPECT_EQ(LinkUrl(*c, "l/a.txt"), url) << "a second request is served from the cache";

  auto full = c->Get(url);
  EXPECT_EQ(full->status, 200);
  EXPECT_EQ(full->body, "linked content");
  auto part = c->Get(url, {{"Range", "bytes=0-5"}});
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, "linked");
  // Raw: httplib's client would wait for a 304's Content-Length as a body.
  const RawReply cached =
      SendRaw(server.port(), "GET " + url + " HTTP/1.1\r\nHost: t\r\nIf-None-Match: " +
                                 full->get_header_value("ETag") + "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(cached.status, 304) << cached.text;

  EXPECT_EQ(c->Get("/download?path=l/missing")->status, 404);
  auto bad = c->Get("/download?path=../x");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(ErrorCode(bad), "invalid_path");
  EXPECT_EQ(c->Get("/download")->status, 400);
}

TEST(LinksTest, ForgedMalformedAndExpiredTokens) {
  ServerProcess server({{"--link-ttl=1"}, {}, {}, ""});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client();
  ASSERT_EQ(c->Put("/files/t", "x", "text/plain")->status, 201);
  std::string url = LinkUrl(*c, "t");
  ASSERT_EQ(url.rfind("/d/", 0), 0u) << url;
  std::string forged = url;
  forged[10] = forged[10] == 'A' ? 'B' : 'A';
  auto f = c->Get(forged);
  EXPECT_EQ(f->status, 403);
  EXPECT_EQ(ErrorCode(f), "forbidden");
  EXPECT_EQ(c->Get("/d/not-a-token")->status, 403);
  EXPECT_EQ(c->Get("/d/" + std::string(60, '_'))->status, 403);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto expired = c->Get(url);
  EXPECT_EQ(expired->status, 410);
  EXPECT_EQ(ErrorCode(expired), "gone");
}

TEST(LinksTest, DeleteAndOverwriteInvalidateCachedLinks) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client();
  ASSERT_EQ(c->Put("/files/inv/f", "v1", "text/plain")->status, 201);
  const std::string first = LinkUrl(*c, "inv/f");
  ASSERT_EQ(c->Put("/files/inv/f", "v2-longer", "text/plain")->status, 200);
  EXPECT_EQ(c->Get(LinkUrl(*c, "inv/f"))->body, "v2-longer");

  ASSERT_EQ(c->Delete("/files/inv/f")->status, 200);
  EXPECT_EQ(c->Get("/download?path=inv/f")->status, 404) << "a cached link outlived its file";
  EXPECT_EQ(c->Get(first)->status, 404);
  // Re-created at the same path: a new file, a new link that works.
  ASSERT_EQ(c->Put("/files/inv/f", "v3", "text/plain")->status, 201);
  EXPECT_EQ(c->Get(LinkUrl(*c, "inv/f"))->body, "v3");

  ASSERT_EQ(c->Put("/files/inv/sub/g", "g", "text/plain")->status, 201);
  ASSERT_NE(LinkUrl(*c, "inv/sub/g")[0], '<');
  ASSERT_EQ(c->Delete("/delete-folder?path=inv")->status, 200);
  EXPECT_EQ(c->Get("/download?path=inv/sub/g")->status, 404);
}

TEST(LinksTest, BatchDownload) {
  ServerProcess server({{"--max-batch-files=3"}, {}, {}, ""});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client();
  ASSERT_EQ(c->Put("/files/b/1", "one", "text/plain")->status, 201);
  ASSERT_EQ(c->Put("/files/b/2", "two", "text/plain")->status, 201);
  auto res = c->Post("/batch-download", R"({"paths":["b/1","b/2","b/none"]})", "application/json");
  ASSERT_EQ(res->status, 200) << res->body;
  const auto j = Json(res);
  EXPECT_EQ(j["succeeded"], 2);
  EXPECT_EQ(j["failed"], 1);
  EXPECT_EQ(c->Get(j["links"][1]["url"].get<std::string>())->body, "two");
  EXPECT_EQ(j["links"][2]["error"]["code"], "not_found");

  auto malformed = c->Post("/batch-download", "{not json", "application/json");
  EXPECT_EQ(malformed->status, 400);
  EXPECT_EQ(ErrorCode(malformed), "invalid_argument");
  auto wrong_shape = c->Post("/batch-download", R"({"paths":"b/1"})", "application/json");
  EXPECT_EQ(wrong_shape->status, 400);
  auto too_many = c->Post("/batch-download", R"({"paths":["a","b","c","d"]})", "application/json");
  EXPECT_EQ(too_many->status, 413);
  EXPECT_EQ(ErrorCode(too_many), "too_many_files");
}

TEST(LinksTest, SecretPersistsAcrossRestart) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  std::string url;
  {
    ServerProcess server({{}, {}, {}, data});
    ASSERT_TRUE(server.Start()) << server.Stderr();
    auto c = server.Client();
    ASSERT_EQ(c->Put("/files/keep", "survives", "text/plain")->status, 201);
    url = LinkUrl(*c, "keep");
  }
  ServerProcess again({{}, {}, {}, data});
  ASSERT_TRUE(again.Start()) << again.Stderr();
  auto res = again.Client()->Get(url);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "survives");
}

TEST(RateLimitTest, HeadersAnd429WithRetryAfter) {
  ServerProcess server({{"--disable-rate-limiter=false", "--rate-read-per-sec=1",
                         "--rate-read-burst=3", "--rate-write-per-sec=1", "--rate-write-burst=2"},
                        {},
                        {},
                        ""});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client();
  int ok = 0;
  for (int i = 0; i < 5; ++i) {
    auto res = c->Get("/list?path=");
    ASSERT_TRUE(res);
    if (res->status == 200) {
      ++ok;
      EXPECT_EQ(res->get_header_value("RateLimit-Limit"), "3");
    }
  }
  EXPECT_GE(ok, 3);
  EXPECT_LE(ok, 4);  // at most one token refilled meanwhile
  auto refused = c->Get("/list?path=");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(ErrorCode(refused), "rate_limited");
  EXPECT_GE(std::stoi(refused->get_header_value("Retry-After")), 1);
  EXPECT_EQ(refused->get_header_value("RateLimit-Remaining"), "0");
  // Writes have their own bucket, and probes are exempt.
  EXPECT_EQ(c->Put("/files/w", "w", "text/plain")->status, 201);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c->Get("/ping")->status, 200);
  EXPECT_EQ(c->Get("/health")->status, 200);
}

}  // namespace
}  // namespace fsvc::testing
