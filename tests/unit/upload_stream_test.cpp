// StageRawBody and StageMultipart against a Request whose body puller feeds
// a multipart body in 4 KiB chunks, as the connection would.
#include "api/upload_stream.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/storage_census.h"
#include "storage/file_store.h"

namespace fsvc {
namespace {

namespace fs = std::filesystem;

struct Part {
  std::string name, filename, content;
};

// A request carrying `body`, handed to the sink 4 KiB at a time.
Request WithBody(std::string body, std::string content_type) {
  Request req;
  req.headers.emplace_back("Content-Type", std::move(content_type));
  req.SetBodyPuller([body = std::move(body)](const BodySink& sink) -> Status {
    for (size_t at = 0; at < body.size(); at += 4096) {
      if (auto st = sink(std::string_view(body).substr(at, 4096)); !st) return st;
    }
    return OkStatus();
  });
  return req;
}

// A multipart/form-data request of `parts`; `truncate` leaves out the closing delimiter.
Request Replay(const std::vector<Part>& parts, bool truncate = false) {
  std::string body;
  for (const Part& p : parts) {
    body += "--xB\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) body += "; filename=\"" + p.filename + "\"";
    body += "\r\nContent-Type: text/plain\r\n\r\n" + p.content + "\r\n";
  }
  if (!truncate) body += "--xB--\r\n";
  return WithBody(std::move(body), "multipart/form-data; boundary=xB");
}

class UploadStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fsvc-upload-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store_ = std::move(*FileStore::Open({dir_.string(), 1}));
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  testutil::StorageCensus Blobs() { return testutil::Census(dir_.string()); }
  fs::path dir_;
  std::unique_ptr<FileStore> store_;
};

TEST_F(UploadStreamTest, StagesFilesAndFieldsInAnyOrder) {
  auto staged = StageMultipart(Replay({{"file", "a.txt", std::string(10000, 'a')},
                                       {"path", "", "docs/x"},
                                       {"file", "b.txt", "bee"}}),
                               *store_, {1 << 20, 10});
  ASSERT_TRUE(staged.ok()) << staged.error().message;
  ASSERT_EQ(staged->files.size(), 2u);
  EXPECT_EQ(staged->files[0].filename, "a.txt");
  EXPECT_EQ(staged->files[0].sealed->size(), 10000u);
  EXPECT_EQ(staged->files[1].sealed->size(), 3u);
  EXPECT_EQ(staged->fields.find("path")->second, "docs/x");
  EXPECT_EQ(Blobs(), (testutil::StorageCensus{0, 12288 + 4096}));
  staged = Error{Errc::kInternal, "dropped"};  // never committed: the blobs go
  EXPECT_EQ(Blobs(), testutil::StorageCensus{});
}

TEST_F(UploadStreamTest, OversizedPartFailsAloneAndIsDrained) {
  auto staged =
      StageMultipart(Replay({{"file", "big", std::string(20000, 'b')}, {"file", "ok", "fine"}}),
                     *store_, {10000, 10});
  ASSERT_TRUE(staged.ok());
  ASSERT_EQ(staged->files.size(), 2u);
  ASSERT_TRUE(staged->files[0].error.has_value());
  EXPECT_EQ(staged->files[0].error->code, Errc::kPayloadTooLarge);
  EXPECT_EQ(staged->files[0].sealed, nullptr);
  EXPECT_NE(staged->files[1].sealed, nullptr);
}

TEST_F(UploadStreamTest, TooManyFilesAndTruncatedBodiesFailWhole) {
  auto many = StageMultipart(Replay({{"file", "1", "x"}, {"file", "2", "y"}, {"file", "3", "z"}}),
                             *store_, {100, 2});
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().code, Errc::kTooManyFiles);
  auto cut = StageMultipart(Replay({{"file", "1", "x"}}, /*truncate=*/true), *store_, {100, 2});
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(Blobs(), testutil::StorageCensus{});
  const std::string huge_field(5000, 'p');
  auto field = StageMultipart(Replay({{"path", "", huge_field}}), *store_, {100, 2});
  EXPECT_FALSE(field.ok());
}

TEST_F(UploadStreamTest, FieldsOverTheirBoundsFailWholeAndStageNothing) {
  std::vector<Part> many = {{"file", "a", "kept?"}};
  for (int i = 0; i < 5; ++i) many.push_back({"f" + std::to_string(i), "", "v"});
  auto counted = StageMultipart(Replay(many), *store_, {100, 2, 4, 1000});
  ASSERT_FALSE(counted.ok());
  EXPECT_EQ(counted.error().code, Errc::kFormTooLarge);
  const std::string kb(1000, 'k');
  auto bytes =
      StageMultipart(Replay({{"file", "a", "kept?"}, {"a", "", kb}, {"b", "", kb}, {"c", "", kb}}),
                     *store_, {100, 2, 10, 2500});
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code, Errc::kFormTooLarge);
  EXPECT_EQ(Blobs(), testutil::StorageCensus{});
  EXPECT_TRUE(StageMultipart(Replay({{"file", "a", "x"}, {"a", "", kb}, {"b", "", kb}}), *store_,
                             {100, 2, 2, 2000})
                  .ok());
}

TEST_F(UploadStreamTest, BoundaryMustBeDeclared) {
  for (const char* type : {"multipart/form-data", "multipart/form-data; boundary=",
                           "multipart/form-data; boundary=0123456789012345678901234567890123456789"
                           "0123456789012345678901234567890"}) {
    auto staged = StageMultipart(WithBody("--xB--\r\n", type), *store_, {100, 2});
    ASSERT_FALSE(staged.ok()) << type;
    EXPECT_EQ(staged.error().code, Errc::kInvalidArgument);
  }
}

TEST_F(UploadStreamTest, RawBodyBecomesOneBlob) {
  auto blob =
      StageRawBody(WithBody(std::string(10000, 'r'), "application/octet-stream"), *store_, 1 << 20);
  ASSERT_TRUE(blob.ok()) << blob.error().message;
  EXPECT_EQ((*blob)->size(), 10000u);
  auto big = StageRawBody(WithBody(std::string(10000, 'r'), ""), *store_, 5000);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Errc::kPayloadTooLarge);
}

TEST_F(UploadStreamTest, ConnectionErrorsPassThrough) {
  Request req;
  req.headers.emplace_back("Content-Type", "multipart/form-data; boundary=xB");
  req.SetBodyPuller([](const BodySink& sink) -> Status {
    (void)sink("--xB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s\"\r\n\r\nab");
    return Error{Errc::kRequestTimeout, "too slow"};
  });
  auto staged = StageMultipart(req, *store_, {100, 2});
  ASSERT_FALSE(staged.ok());
  EXPECT_EQ(staged.error().code, Errc::kRequestTimeout);
  EXPECT_EQ(Blobs(), testutil::StorageCensus{});
}

}  // namespace
}  // namespace fsvc
