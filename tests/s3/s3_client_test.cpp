// The S3 client against a real Ceph RGW (tests/s3/run.sh starts one and sets
// S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION; without them these
// tests skip). Each test gets its own bucket, emptied and deleted after it.
// The store-down tests need no store: they aim at ports of their own.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include "storage/s3/client.h"
#include "util/hex.h"
#include "util/unique_fd.h"

namespace fsvc::s3 {
namespace {

using Clock = std::chrono::steady_clock;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A byte pattern that differs at every offset within a part's length, so a
// misplaced or repeated chunk changes what is read back.
char PatternAt(uint64_t i) {
  return static_cast<char>((i * 2654435761u) >> 13);
}

std::string Pattern(uint64_t offset, size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = PatternAt(offset + i);
  return out;
}

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr);
  return HexEncode(digest, size);
}

std::unique_ptr<Client> MakeClient(Config config) {
  auto client = Client::Create(std::move(config));
  EXPECT_TRUE(client.ok()) << client.error().message;
  return client.ok() ? std::move(*client) : nullptr;
}

// The whole body (or `range`), with the ObjectInfo into `info`.
Result<std::string> ReadAll(Client& client, std::string_view key,
                            std::optional<ByteRange> range = std::nullopt,
                            ObjectInfo* info = nullptr) {
  std::string body;
  ObjectSink sink{nullptr, [&body](std::string_view chunk) {
                    body.append(chunk);
                    return OkStatus();
                  }};
  auto got = client.GetObject(key, sink, range);
  if (!got.ok()) return got.error();
  if (info != nullptr) *info = *got;
  return body;
}

class S3ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.endpoint = Env("S3_ENDPOINT");
    config_.access_key = Env("S3_ACCESS_KEY");
    config_.secret_key = Env("S3_SECRET_KEY");
    config_.region = Env("S3_REGION");
    if (config_.endpoint.empty() || config_.access_key.empty()) {
      GTEST_SKIP() << "S3_ENDPOINT/S3_ACCESS_KEY unset: run tests/s3/run.sh";
    }
    if (config_.region.empty()) config_.region = "us-east-1";
    // One bucket per test: lower-case letters, digits and '-', 3..63 long.
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
      return std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '-';
    });
    config_.bucket = "t-" + name.substr(0, 40) + '-' + std::to_string(std::random_device{}());
    client_ = MakeClient(config_);
    ASSERT_NE(client_, nullptr);
    const Status created = client_->CreateBucket();
    ASSERT_TRUE(created.ok()) << created.error().message;
  }

  void TearDown() override {
    if (client_ == nullptr) return;
    for (;;) {
      auto uploads = client_->ListMultipartUploads({});
      ASSERT_TRUE(uploads.ok()) << uploads.error().message;
      for (const MultipartUpload& u : uploads->uploads) {
        EXPECT_TRUE(client_->AbortMultipartUpload(u.key, u.upload_id).ok());
      }
      if (uploads->next_key_marker.empty()) break;
    }
    for (;;) {
      auto page = client_->ListObjectsV2({});
      ASSERT_TRUE(page.ok()) << page.error().message;
      if (page->objects.empty()) break;
      std::vector<std::string> keys;
      for (const ListEntry& e : page->objects) keys.push_back(e.key);
      ASSERT_TRUE(client_->DeleteObjects(keys).ok());
    }
    const Status deleted = client_->DeleteBucket();
    EXPECT_TRUE(deleted.ok()) << deleted.error().message;
  }

  std::string Put(const std::string& key, std::string_view body) {
    auto etag = client_->PutObject(key, body);
    EXPECT_TRUE(etag.ok()) << key << ": " << etag.error().message;
    return etag.ok() ? *etag : "";
  }

  std::vector<std::string> ListAll(ListOptions options, std::vector<std::string>* prefixes,
                                   int* pages) {
    std::vector<std::string> keys;
    *pages = 0;
    do {
      auto page = client_->ListObjectsV2(options);
      EXPECT_TRUE(page.ok()) << page.error().message;
      if (!page.ok()) break;
      ++*pages;
      EXPECT_LE(page->objects.size() + page->common_prefixes.size(),
                static_cast<size_t>(options.max_keys));
      for (const ListEntry& e : page->objects) keys.push_back(e.key);
      for (const std::string& p : page->common_prefixes) prefixes->push_back(p);
      options.continuation_token = page->next_token;
    } while (!options.continuation_token.empty() && *pages < 100);
    EXPECT_LT(*pages, 100) << "the continuation token does not advance";
    return keys;
  }

  Config config_;
  std::unique_ptr<Client> client_;
};

TEST_F(S3ClientTest, PutGetHeadDelete) {
  const int64_t before = NowMs();
  PutOptions options;
  options.content_type = "text/plain; charset=utf-8";
  options.metadata = {{"sha256", "abc123"}, {"owner", "Some One"}};
  auto etag = client_->PutObject("dir/file.txt", "hello, s3", options);
  ASSERT_TRUE(etag.ok()) << etag.error().message;
  EXPECT_EQ(*etag, Md5Hex("hello, s3"));  // a single PUT's ETag is the body's MD5

  ObjectInfo info;
  auto body = ReadAll(*client_, "dir/file.txt", std::nullopt, &info);
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(*body, "hello, s3");
  EXPECT_EQ(info.size, 9u);
  EXPECT_EQ(info.first, 0u);
  EXPECT_EQ(info.length, 9u);
  EXPECT_EQ(info.etag, *etag);
  EXPECT_EQ(info.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(info.metadata, options.metadata);
  EXPECT_GE(info.last_modified_ms, before / 1000 * 1000 - 60000);
  EXPECT_LE(info.last_modified_ms, NowMs() + 60000);

  auto head = client_->HeadObject("dir/file.txt");
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->size, 9u);
  EXPECT_EQ(head->etag, *etag);
  EXPECT_EQ(head->content_type, info.content_type);
  EXPECT_EQ(head->metadata, options.metadata);
  EXPECT_EQ(head->last_modified_ms, info.last_modified_ms);

  ASSERT_TRUE(client_->DeleteObject("dir/file.txt").ok());
  auto gone = client_->HeadObject("dir/file.txt");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, Errc::kNotFound) << gone.error().message;
  auto missing = ReadAll(*client_, "dir/file.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  EXPECT_NE(missing.error().message.find("NoSuchKey"), std::string::npos)
      << missing.error().message;
  EXPECT_NE(missing.error().message.find("dir/file.txt"), std::string::npos);
  // S3 deletes are idempotent.
  EXPECT_TRUE(client_->DeleteObject("dir/file.txt").ok());
}

TEST_F(S3ClientTest, EmptyObject) {
  ASSERT_FALSE(Put("empty", "").empty());
  int heads = 0;
  ObjectSink sink{[&heads](const ObjectInfo& info) {
                    ++heads;
                    EXPECT_EQ(info.size, 0u);
                    return OkStatus();
                  },
                  [](std::string_view) { return Status(Errc::kInternal, "no bytes expected"); }};
  auto got = client_->GetObject("empty", sink);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(heads, 1);
  EXPECT_EQ(got->size, 0u);
}

TEST_F(S3ClientTest, OddKeys) {
  const std::vector<std::string> keys = {
      "a+b",        "with space", "100%",      "%2F%41",       "\xc3\xbc/\xc3\xb1 \xe6\x97\xa5",
      "q?x=1&y=2",  "tab\there",  "hash#frag", "~!*'()$@",     "semi;colon,comma=eq",
      "a/./b/../c", "//lead",     "trail/",    "<xml>&amp;\"", "plus+and space +"};
  for (const std::string& key : keys) {
    ASSERT_FALSE(Put(key, "body of " + key).empty()) << key;
  }
  for (const std::string& key : keys) {
    auto body = ReadAll(*client_, key);
    ASSERT_TRUE(body.ok()) << key << ": " << body.error().message;
    EXPECT_EQ(*body, "body of " + key);
    EXPECT_TRUE(client_->HeadObject(key).ok()) << key;
  }
  std::vector<std::string> prefixes;
  int pages = 0;
  const std::vector<std::string> listed = ListAll({}, &prefixes, &pages);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()),
            std::set<std::string>(keys.begin(), keys.end()));
  EXPECT_EQ(listed.size(), keys.size());
  // A key and its encoded form are different objects.
  EXPECT_FALSE(client_->HeadObject("a%2Bb").ok());
  EXPECT_FALSE(client_->HeadObject("with+space").ok());
  auto deleted = client_->DeleteObjects(keys);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  ASSERT_EQ(deleted->size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ((*deleted)[i].key, keys[i]);
    EXPECT_TRUE((*deleted)[i].status.ok()) << keys[i];
  }
  for (const std::string& key : keys) EXPECT_FALSE(client_->HeadObject(key).ok()) << key;
}

TEST_F(S3ClientTest, Range) {
  const std::string data = Pattern(0, 100);
  Put("r", data);
  ObjectInfo info;
  auto mid = ReadAll(*client_, "r", ByteRange{10, 19}, &info);
  ASSERT_TRUE(mid.ok()) << mid.error().message;
  EXPECT_EQ(*mid, data.substr(10, 10));
  EXPECT_EQ(info.first, 10u);
  EXPECT_EQ(info.length, 10u);
  EXPECT_EQ(info.size, 100u);
  auto tail = ReadAll(*client_, "r", ByteRange{90, std::nullopt}, &info);
  ASSERT_TRUE(tail.ok()) << tail.error().message;
  EXPECT_EQ(*tail, data.substr(90));
  EXPECT_EQ(info.first, 90u);
  EXPECT_EQ(info.length, 10u);
  auto past = ReadAll(*client_, "r", ByteRange{200, std::nullopt});
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error().code, Errc::kRangeNotSatisfiable) << past.error().message;
}

TEST_F(S3ClientTest, IfNoneMatch) {
  PutOptions once;
  once.if_none_match = true;
  ASSERT_TRUE(client_->PutObject("k", "first", once).ok());
  auto again = client_->PutObject("k", "second", once);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::kPreconditionFailed) << again.error().message;
  EXPECT_EQ(*ReadAll(*client_, "k"), "first");
  // Without the condition the overwrite goes through.
  ASSERT_TRUE(client_->PutObject("k", "second").ok());
  EXPECT_EQ(*ReadAll(*client_, "k"), "second");
}

TEST_F(S3ClientTest, CopyReplacesMetadataAndIfMatchPinsTheVersion) {
  PutOptions original;
  original.content_type = "text/plain";
  original.metadata = {{"sha256", "old"}};
  ASSERT_TRUE(client_->PutObject("src", "copied bytes", original).ok());
  PutOptions replaced;
  replaced.content_type = "application/x-test";
  replaced.metadata = {{"sha256", "new"}, {"created-ms", "42"}};
  auto etag = client_->CopyObject("src", "dir/dst key+", replaced);
  ASSERT_TRUE(etag.ok()) << etag.error().message;
  auto head = client_->HeadObject("dir/dst key+");
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->etag, *etag);
  EXPECT_EQ(head->content_type, "application/x-test");
  EXPECT_EQ(head->metadata, (Metadata{{"sha256", "new"}, {"created-ms", "42"}}));
  EXPECT_EQ(*ReadAll(*client_, "dir/dst key+"), "copied bytes");
  // If-Match: the version read is the version named, or nothing.
  const ObjectSink discard{nullptr, [](std::string_view) { return OkStatus(); }};
  EXPECT_TRUE(client_->GetObject("dir/dst key+", discard, std::nullopt, *etag).ok());
  ASSERT_TRUE(client_->PutObject("dir/dst key+", "other bytes").ok());
  auto stale = client_->GetObject("dir/dst key+", discard, std::nullopt, *etag);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::kPreconditionFailed) << stale.error().message;
  auto missing = client_->CopyObject("nothing here", "x", replaced);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound) << missing.error().message;
}

TEST_F(S3ClientTest, CopyKeepsTheSourcesMetadata) {
  PutOptions original;
  original.content_type = "text/plain";
  original.metadata = {{"sha256", "old"}, {"created-ms", "7"}};
  ASSERT_TRUE(client_->PutObject("src", "kept bytes", original).ok());
  auto etag = client_->CopyObject("src", "moved/here+");
  ASSERT_TRUE(etag.ok()) << etag.error().message;
  auto head = client_->HeadObject("moved/here+");
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->etag, *etag);
  EXPECT_EQ(head->content_type, "text/plain");
  EXPECT_EQ(head->metadata, original.metadata);
  EXPECT_EQ(*ReadAll(*client_, "moved/here+"), "kept bytes");
  auto missing = client_->CopyObject("nothing here", "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound) << missing.error().message;
}

TEST_F(S3ClientTest, BadMetadataIsRefused) {
  PutOptions options;
  options.metadata = {{"x", "line\r\nx-injected: 1"}};
  auto put = client_->PutObject("k", "v", options);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, Errc::kInvalidArgument);
  EXPECT_FALSE(client_->HeadObject("k").ok());
}

TEST_F(S3ClientTest, MultipartOutOfOrder) {
  constexpr size_t kPart = 5 << 20;  // RGW's minimum for all parts but the last
  const int64_t before = NowMs();
  PutOptions options;
  options.content_type = "application/x-test";
  options.metadata = {{"sha256", "feed"}};
  auto id = client_->CreateMultipartUpload("big file+1", options);
  ASSERT_TRUE(id.ok()) << id.error().message;

  auto listed = client_->ListMultipartUploads({"big", "", "", 1000});
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->uploads.size(), 1u);
  EXPECT_EQ(listed->uploads[0].key, "big file+1");
  EXPECT_EQ(listed->uploads[0].upload_id, *id);
  EXPECT_GE(listed->uploads[0].initiated_ms, before - 60000);
  EXPECT_LE(listed->uploads[0].initiated_ms, NowMs() + 60000);

  const uint64_t offsets[] = {0, kPart, 2 * kPart};
  const size_t sizes[] = {kPart, kPart, 1000};
  std::vector<CompletedPart> parts;
  for (const int n : {3, 1, 2}) {
    auto etag = client_->UploadPart("big file+1", *id, n, Pattern(offsets[n - 1], sizes[n - 1]));
    ASSERT_TRUE(etag.ok()) << etag.error().message;
    EXPECT_EQ(etag->size(), 32u);
    parts.push_back({n, *etag});
  }
  auto etag = client_->CompleteMultipartUpload("big file+1", *id, parts);
  ASSERT_TRUE(etag.ok()) << etag.error().message;
  auto head = client_->HeadObject("big file+1");
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(*etag, head->etag);
  EXPECT_EQ(etag->substr(etag->size() - 2), "-3");
  EXPECT_EQ(head->size, 2 * kPart + 1000);
  EXPECT_EQ(head->content_type, "application/x-test");
  EXPECT_EQ(head->metadata, options.metadata);
  auto body = ReadAll(*client_, "big file+1");
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_TRUE(*body == Pattern(0, 2 * kPart + 1000));
  auto after = client_->ListMultipartUploads({});
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->uploads.empty());
}

TEST_F(S3ClientTest, MultipartAbortAndList) {
  auto a1 = client_->CreateMultipartUpload("a/1");
  auto a2 = client_->CreateMultipartUpload("a/2");
  auto b1 = client_->CreateMultipartUpload("b/1");
  ASSERT_TRUE(a1.ok() && a2.ok() && b1.ok());
  ASSERT_TRUE(client_->UploadPart("a/1", *a1, 1, "part").ok());

  auto under_a = client_->ListMultipartUploads({"a/", "", "", 1000});
  ASSERT_TRUE(under_a.ok()) << under_a.error().message;
  std::set<std::string> ids;
  for (const MultipartUpload& u : under_a->uploads) ids.insert(u.upload_id);
  EXPECT_EQ(ids, (std::set<std::string>{*a1, *a2}));
  EXPECT_TRUE(under_a->next_key_marker.empty());

  const Status aborted = client_->AbortMultipartUpload("a/1", *a1);
  ASSERT_TRUE(aborted.ok()) << aborted.error().message;
  auto again = client_->AbortMultipartUpload("a/1", *a1);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::kNotFound) << again.error().message;
  auto late = client_->UploadPart("a/1", *a1, 2, "late");
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, Errc::kNotFound) << late.error().message;
  // RGW 16.2 answers a completion of an aborted upload with 500 InternalError
  // "This multipart completion is already in progress", not 404 NoSuchUpload.
  auto complete = client_->CompleteMultipartUpload("a/1", *a1, {{1, std::string(32, '0')}});
  ASSERT_FALSE(complete.ok());
  EXPECT_TRUE(complete.error().code == Errc::kNotFound ||
              complete.error().code == Errc::kUnavailable)
      << complete.error().message;
  EXPECT_FALSE(client_->HeadObject("a/1").ok());

  auto all = client_->ListMultipartUploads({});
  ASSERT_TRUE(all.ok());
  ids.clear();
  for (const MultipartUpload& u : all->uploads) ids.insert(u.upload_id);
  EXPECT_EQ(ids, (std::set<std::string>{*a2, *b1}));
  EXPECT_FALSE(client_->UploadPart("a/2", *a2, 0, "x").ok());
}

// Two uploads of one key (two replicas writing one path) page apart by the
// upload-id marker.
TEST_F(S3ClientTest, MultipartUploadsPaging) {
  std::set<std::string> started;
  for (const char* key : {"u/0", "u/0", "u/1", "u/2", "u/3"}) {
    auto id = client_->CreateMultipartUpload(key);
    ASSERT_TRUE(id.ok()) << id.error().message;
    started.insert(*id);
  }
  ASSERT_TRUE(client_->CreateMultipartUpload("v/other").ok());
  ListUploadsOptions options{"u/", "", "", 2};
  std::set<std::string> listed;
  int pages = 0;
  do {
    auto page = client_->ListMultipartUploads(options);
    ASSERT_TRUE(page.ok()) << page.error().message;
    ASSERT_LT(++pages, 10) << "the markers do not advance";
    EXPECT_LE(page->uploads.size(), 2u);
    for (const MultipartUpload& u : page->uploads) {
      EXPECT_EQ(u.key.rfind("u/", 0), 0u) << u.key;
      EXPECT_TRUE(listed.insert(u.upload_id).second) << "listed twice: " << u.upload_id;
    }
    options.key_marker = page->next_key_marker;
    options.upload_id_marker = page->next_upload_id_marker;
  } while (!options.key_marker.empty());
  EXPECT_EQ(listed, started);
  EXPECT_EQ(pages, 3);
}

TEST_F(S3ClientTest, ListPagingAndDelimiter) {
  std::vector<std::string> direct;
  for (int i = 0; i < 25; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "p/k%02d", i);
    direct.push_back(key);
    Put(key, std::string(i, 'x'));
  }
  Put("p/sub/x", "1");
  Put("p/sub/y", "2");
  Put("p/deeper/z/w", "3");
  Put("q/z", "4");

  auto first = client_->ListObjectsV2({"p/", "", "", 10, ""});
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->objects.size(), 10u);
  EXPECT_EQ(first->objects[0].key, "p/deeper/z/w");
  EXPECT_EQ(first->objects[1].key, "p/k00");
  EXPECT_EQ(first->objects[3].size, 2u);  // p/k02
  EXPECT_EQ(first->objects[3].etag.size(), 32u);
  EXPECT_GT(first->objects[3].last_modified_ms, NowMs() - 600000);
  EXPECT_FALSE(first->next_token.empty());

  std::vector<std::string> prefixes;
  int pages = 0;
  std::vector<std::string> all = ListAll({"p/", "", "", 10, ""}, &prefixes, &pages);
  EXPECT_EQ(pages, 3);
  std::vector<std::string> expected = direct;
  expected.insert(expected.end(), {"p/sub/x", "p/sub/y", "p/deeper/z/w"});
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(all, expected);
  EXPECT_TRUE(prefixes.empty());

  all = ListAll({"p/", "/", "", 10, ""}, &prefixes, &pages);
  EXPECT_EQ(all, direct);
  EXPECT_EQ(prefixes, (std::vector<std::string>{"p/deeper/", "p/sub/"}));
  EXPECT_EQ(pages, 3);

  prefixes.clear();
  all = ListAll({"", "/", "", 1000, ""}, &prefixes, &pages);
  EXPECT_TRUE(all.empty());
  EXPECT_EQ(prefixes, (std::vector<std::string>{"p/", "q/"}));
  EXPECT_EQ(pages, 1);

  // StartAfter resumes behind a key, and behind a whole folder when it names
  // one followed by '0' (the byte after '/').
  auto after = client_->ListObjectsV2({"p/", "/", "", 1000, "p/k05"});
  ASSERT_TRUE(after.ok()) << after.error().message;
  ASSERT_FALSE(after->objects.empty());
  EXPECT_EQ(after->objects.front().key, "p/k06");
  EXPECT_EQ(after->common_prefixes, (std::vector<std::string>{"p/sub/"}));
  auto past_folder = client_->ListObjectsV2({"p/", "/", "", 1000, "p/deeper0"});
  ASSERT_TRUE(past_folder.ok()) << past_folder.error().message;
  EXPECT_EQ(past_folder->common_prefixes, (std::vector<std::string>{"p/sub/"}));
}

TEST_F(S3ClientTest, DeleteObjectsBatch) {
  for (const char* key : {"d1", "d2", "d3", "keep1", "keep2"}) Put(key, key);
  auto results = client_->DeleteObjects({"d1", "d2", "never-was", "d3"});
  ASSERT_TRUE(results.ok()) << results.error().message;
  ASSERT_EQ(results->size(), 4u);
  for (const DeleteResult& r : *results) EXPECT_TRUE(r.status.ok()) << r.key;
  EXPECT_EQ((*results)[2].key, "never-was");
  std::vector<std::string> prefixes;
  int pages = 0;
  EXPECT_EQ(ListAll({}, &prefixes, &pages), (std::vector<std::string>{"keep1", "keep2"}));

  std::vector<std::string> many(1001, "x");
  auto too_many = client_->DeleteObjects(many);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code, Errc::kInvalidArgument);
  auto none = client_->DeleteObjects({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// 22 MiB up in 5.5 MiB parts (one part in memory at a time), read back
// through a sink that checks each chunk against the pattern instead of
// keeping it.
TEST_F(S3ClientTest, LargeObjectStreamed) {
  constexpr size_t kPart = 5632 << 10;
  constexpr int kParts = 4;
  constexpr uint64_t kSize = uint64_t{kPart} * kParts;
  auto id = client_->CreateMultipartUpload("large");
  ASSERT_TRUE(id.ok()) << id.error().message;
  std::vector<CompletedPart> parts;
  for (int n = 1; n <= kParts; ++n) {
    auto etag = client_->UploadPart("large", *id, n, Pattern((n - 1) * uint64_t{kPart}, kPart));
    ASSERT_TRUE(etag.ok()) << etag.error().message;
    parts.push_back({n, *etag});
  }
  auto etag = client_->CompleteMultipartUpload("large", *id, parts);
  ASSERT_TRUE(etag.ok()) << etag.error().message;

  uint64_t offset = 0;
  size_t largest_chunk = 0;
  uint64_t head_size = 0;
  bool mismatch = false;
  ObjectSink sink{[&](const ObjectInfo& info) {
                    EXPECT_EQ(offset, 0u);  // before any byte
                    head_size = info.size;
                    return OkStatus();
                  },
                  [&](std::string_view chunk) {
                    largest_chunk = std::max(largest_chunk, chunk.size());
                    for (const char c : chunk) mismatch = mismatch || c != PatternAt(offset++);
                    return OkStatus();
                  }};
  auto got = client_->GetObject("large", sink);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(head_size, kSize);
  EXPECT_EQ(offset, kSize);
  EXPECT_FALSE(mismatch);
  EXPECT_LE(largest_chunk, 16u << 10);
  EXPECT_EQ(got->etag, *etag);

  // A range across a part boundary.
  auto across = ReadAll(*client_, "large", ByteRange{kPart - 10, kPart + 9});
  ASSERT_TRUE(across.ok()) << across.error().message;
  EXPECT_EQ(*across, Pattern(kPart - 10, 20));
}

TEST_F(S3ClientTest, SinkErrorStopsTheTransfer) {
  Put("k", Pattern(0, 1 << 20));
  int chunks = 0;
  ObjectSink sink{nullptr, [&chunks](std::string_view) {
                    ++chunks;
                    return Status(Errc::kInsufficientStorage, "disk full");
                  }};
  auto got = client_->GetObject("k", sink);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::kInsufficientStorage);
  EXPECT_EQ(got.error().message, "disk full");
  EXPECT_EQ(chunks, 1);
  ObjectSink refuse{[](const ObjectInfo&) { return Status(Errc::kConflict, "changed"); },
                    [&chunks](std::string_view) {
                      ++chunks;
                      return OkStatus();
                    }};
  got = client_->GetObject("k", refuse);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::kConflict);
  EXPECT_EQ(chunks, 1);
}

TEST_F(S3ClientTest, ConcurrentCallsShareOneClient) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 15;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const std::string key = "t" + std::to_string(t) + "/" + std::to_string(i);
        const std::string body = Pattern(t * 1000 + i, 1000 + i);
        if (!client_->PutObject(key, body).ok()) ++failures;
        auto back = ReadAll(*client_, key);
        if (!back.ok() || *back != body) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::vector<std::string> prefixes;
  int pages = 0;
  EXPECT_EQ(ListAll({}, &prefixes, &pages).size(), size_t{kThreads * kRounds});
}

TEST_F(S3ClientTest, WrongSecretIsForbidden) {
  Config wrong = config_;
  wrong.secret_key += "x";
  auto client = MakeClient(wrong);
  auto head = client->HeadObject("k");
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.error().code, Errc::kForbidden) << head.error().message;
  auto put = client->PutObject("k", "v");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, Errc::kForbidden);
  EXPECT_NE(put.error().message.find("HTTP 403"), std::string::npos) << put.error().message;
}

TEST_F(S3ClientTest, BucketErrors) {
  Put("k", "v");
  const Status not_empty = client_->DeleteBucket();
  ASSERT_FALSE(not_empty.ok());
  EXPECT_EQ(not_empty.error().code, Errc::kInternal);
  EXPECT_NE(not_empty.error().message.find("BucketNotEmpty"), std::string::npos)
      << not_empty.error().message;
  Config other = config_;
  other.bucket += "-none";
  auto client = MakeClient(other);
  auto list = client->ListObjectsV2({});
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().code, Errc::kNotFound);
  EXPECT_NE(list.error().message.find("NoSuchBucket"), std::string::npos) << list.error().message;
}

Config Endpoint(std::string endpoint, std::string bucket) {
  Config config;
  config.endpoint = std::move(endpoint);
  config.bucket = std::move(bucket);
  return config;
}

TEST(S3ClientConfigTest, EndpointAndBucketAreChecked) {
  for (const char* endpoint : {"", "127.0.0.1:80", "ftp://h", "http://", "http://h/path"}) {
    auto client = Client::Create(Endpoint(endpoint, "b"));
    ASSERT_FALSE(client.ok()) << endpoint;
    EXPECT_EQ(client.error().code, Errc::kInvalidArgument);
  }
  auto no_bucket = Client::Create(Endpoint("http://127.0.0.1:1", ""));
  ASSERT_FALSE(no_bucket.ok());
  EXPECT_TRUE(Client::Create(Endpoint("http://127.0.0.1:1/", "b")).ok());
}

// A loopback socket bound to a free port; listening or not.
UniqueFd Socket(bool listening, int& port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  if (listening) {
    EXPECT_EQ(::listen(fd.get(), 16), 0);
  }
  return fd;
}

Config DownConfig(int port) {
  Config config;
  config.endpoint = "http://127.0.0.1:" + std::to_string(port);
  config.bucket = "b";
  config.access_key = "k";
  config.secret_key = "s";
  config.connect_timeout_ms = 1000;
  config.request_timeout_ms = 1000;
  config.stall_timeout_ms = 1000;
  return config;
}

template <class F>
std::pair<Error, double> FailureOf(F call) {
  const auto start = Clock::now();
  auto result = call();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_FALSE(result.ok());
  return {result.ok() ? Error{} : result.error(), seconds};
}

TEST(S3ClientDownTest, ClosedPortIsUnavailableAtOnce) {
  int port = 0;
  { UniqueFd closed = Socket(false, port); }
  auto client = MakeClient(DownConfig(port));
  const auto [error, seconds] = FailureOf([&] { return client->HeadObject("k"); });
  EXPECT_EQ(error.code, Errc::kUnavailable) << error.message;
  EXPECT_NE(error.message.find("cannot connect"), std::string::npos) << error.message;
  EXPECT_LT(seconds, 5.0);
}

// The kernel completes the handshake on a listening socket nobody accepts
// from: the request goes out and no answer ever comes.
TEST(S3ClientDownTest, SilentStoreTimesOut) {
  int port = 0;
  UniqueFd silent = Socket(true, port);
  auto client = MakeClient(DownConfig(port));
  // Request timeout (1 s total).
  auto [error, seconds] = FailureOf([&] { return client->HeadObject("k"); });
  EXPECT_EQ(error.code, Errc::kUnavailable) << error.message;
  EXPECT_NE(error.message.find("timed out"), std::string::npos) << error.message;
  EXPECT_GE(seconds, 0.9);
  EXPECT_LT(seconds, 5.0);
  // Object transfers have no total bound here: the 1 s stall bound ends them.
  const ObjectSink sink{nullptr, [](std::string_view) { return OkStatus(); }};
  std::tie(error, seconds) = FailureOf([&] { return client->GetObject("k", sink); });
  EXPECT_EQ(error.code, Errc::kUnavailable) << error.message;
  EXPECT_NE(error.message.find("timed out"), std::string::npos) << error.message;
  EXPECT_LT(seconds, 5.0);
  std::tie(error, seconds) = FailureOf([&] { return client->PutObject("k", Pattern(0, 1000)); });
  EXPECT_EQ(error.code, Errc::kUnavailable) << error.message;
  EXPECT_LT(seconds, 5.0);
}

}  // namespace
}  // namespace fsvc::s3
